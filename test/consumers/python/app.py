"""A minimal Python CDK app using cdk-hybrid-alb-service as a Python user would.

Usage: python app.py OUTDIR

Synthesizes the stack ``ConsumerStack`` into OUTDIR. The image is the repository's test fixture
(a Dockerfile only: the CDK hashes the directory at synth time and builds nothing).
"""

import sys
from pathlib import Path

import aws_cdk as cdk
from cdk_hybrid_alb_service import FargateSideOptions, HybridAlbService, HybridImage, LambdaSideOptions

FIXTURE_IMAGE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "image"


def main(outdir: str) -> None:
    app = cdk.App(outdir=outdir)
    stack = cdk.Stack(app, "ConsumerStack")
    # `lambda` is a Python keyword, so jsii names that prop `lambda_`.
    HybridAlbService(
        stack,
        "Service",
        image=HybridImage.from_asset(str(FIXTURE_IMAGE_DIR)),
        lambda_=LambdaSideOptions(memory_size=2048),
        fargate=FargateSideOptions(max_tasks=4),
    )
    app.synth()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python app.py OUTDIR")
    main(sys.argv[1])
