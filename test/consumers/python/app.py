"""A minimal Python CDK app using cdk-hybrid-alb-service as a Python user would.

Usage: python app.py OUTDIR

Synthesizes the stack ``ConsumerStack`` into OUTDIR. The image is the repository's test fixture
(a Dockerfile only: the CDK hashes the directory at synth time and builds nothing).
"""

import sys
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from cdk_hybrid_alb_service import FargateSideOptions, HybridAlbService, HybridImage, HybridSecret, LambdaSideOptions

FIXTURE_IMAGE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "image"


def main(outdir: str) -> None:
    app = cdk.App(outdir=outdir)
    stack = cdk.Stack(app, "ConsumerStack")
    db_secret = secretsmanager.Secret(stack, "DbSecret")
    # `lambda` is a Python keyword, so jsii names that prop `lambda_`.
    service = HybridAlbService(
        stack,
        "Service",
        image=HybridImage.from_asset(str(FIXTURE_IMAGE_DIR)),
        lambda_=LambdaSideOptions(memory_size=2048),
        fargate=FargateSideOptions(max_tasks=4),
        secrets={"DB_SECRET_ARN": HybridSecret.from_secrets_manager(db_secret)},
    )
    # The service is an IGrantable (both roles) and an IConnectable (the tasks' security group).
    s3.Bucket(stack, "Data").grant_read(service)
    s3.Bucket(stack, "Uploads").grant_put(service.grant_principal)
    database = ec2.SecurityGroup(stack, "Database", vpc=service.vpc)
    ec2.Connections(security_groups=[database], default_port=ec2.Port.tcp(5432)).allow_default_port_from(service)
    service.connections.allow_to(database, ec2.Port.tcp(6379), "cache")
    app.synth()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python app.py OUTDIR")
    main(sys.argv[1])
