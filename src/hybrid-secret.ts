import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';

/**
 * A secret both sides read the same way: the app gets an environment variable holding the secret's ARN (Secrets
 * Manager) or the parameter's name (SSM Parameter Store), and fetches the value when it starts. Lambda has no secret
 * injection like ECS, and an image function cannot use the extension layers, so the value never appears in the
 * template, the task definition or the function's configuration; both roles get read access.
 */
export abstract class HybridSecret {
  /** A Secrets Manager secret; the variable holds its ARN, for `GetSecretValue`. */
  public static fromSecretsManager(secret: secretsmanager.ISecret): HybridSecret {
    return new SecretsManagerSecret(secret);
  }

  /**
   * An SSM Parameter Store parameter, usually a SecureString; the variable holds its name, for `GetParameter` with
   * decryption. For a parameter encrypted with a customer managed key, import it with its `encryptionKey` so the
   * grant covers `kms:Decrypt`.
   */
  public static fromSsmParameter(parameter: ssm.IParameter): HybridSecret {
    return new SsmParameterSecret(parameter);
  }

  /** What the environment variable holds: the secret's ARN or the parameter's name. */
  public abstract readonly reference: string;

  /** Grant read access to the value. */
  public abstract grantRead(grantee: iam.IGrantable): iam.Grant;
}

class SecretsManagerSecret extends HybridSecret {
  public readonly reference: string;
  constructor(private readonly secret: secretsmanager.ISecret) {
    super();
    this.reference = secret.secretArn;
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.secret.grantRead(grantee);
  }
}

class SsmParameterSecret extends HybridSecret {
  public readonly reference: string;
  constructor(private readonly parameter: ssm.IParameter) {
    super();
    this.reference = parameter.parameterName;
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.parameter.grantRead(grantee);
  }
}
