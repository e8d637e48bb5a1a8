package com.example.consumer;

import io.github.cdkhybridalbservice.FargateSideOptions;
import io.github.cdkhybridalbservice.HybridAlbService;
import io.github.cdkhybridalbservice.HybridImage;
import io.github.cdkhybridalbservice.HybridSecret;
import io.github.cdkhybridalbservice.LambdaSideOptions;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.ec2.Connections;
import software.amazon.awscdk.services.ec2.ConnectionsProps;
import software.amazon.awscdk.services.ec2.Port;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.secretsmanager.Secret;

/**
 * A minimal Java CDK app using cdk-hybrid-alb-service as a Java user would.
 *
 * <p>Usage: {@code mvn compile exec:java -Dexec.args=OUTDIR}. Synthesizes the stack
 * {@code ConsumerStack} into OUTDIR. The image is the repository's test fixture (a Dockerfile
 * only: the CDK hashes the directory at synth time and builds nothing).
 */
public final class App {
  private App() {}

  public static void main(final String[] args) {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: App OUTDIR");
    }
    // Maven runs the app from test/consumers/java; the fixture is test/fixtures/image.
    Path fixtureImageDir = Paths.get("..", "..", "fixtures", "image").toAbsolutePath().normalize();

    software.amazon.awscdk.App app =
        new software.amazon.awscdk.App(AppProps.builder().outdir(args[0]).build());
    Stack stack = new Stack(app, "ConsumerStack");
    Secret dbSecret = new Secret(stack, "DbSecret");
    HybridAlbService service = HybridAlbService.Builder.create(stack, "Service")
        .image(HybridImage.fromAsset(fixtureImageDir.toString()))
        .lambda(LambdaSideOptions.builder().memorySize(2048).build())
        .fargate(FargateSideOptions.builder().maxTasks(4).build())
        .secrets(Map.of("DB_SECRET_ARN", HybridSecret.fromSecretsManager(dbSecret)))
        .build();
    // The service is an IGrantable (both roles) and an IConnectable (the tasks' security group).
    new Bucket(stack, "Data").grantRead(service);
    new Bucket(stack, "Uploads").grantPut(service.getGrantPrincipal());
    SecurityGroup database = SecurityGroup.Builder.create(stack, "Database").vpc(service.getVpc()).build();
    new Connections(ConnectionsProps.builder()
        .securityGroups(List.of(database))
        .defaultPort(Port.tcp(5432))
        .build())
        .allowDefaultPortFrom(service);
    service.getConnections().allowTo(database, Port.tcp(6379), "cache");
    app.synth();
  }
}
