"""What happened to every resource of a template: served, run, turned into a pool or plan, ignored (it does
not bear on the request path) or refused (it would, and cannot be served here). Never skipped in silence."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SERVED = "served"
IGNORED = "ignored"
REFUSED = "refused"

# resource type -> why it is ignored (it does not decide who may call what, nor what answers)
IGNORED_TYPES = {
    "AWS::Lambda::Permission": "API Gateway's permission to invoke a function; the gateway calls it directly",
    "AWS::ApiGateway::Deployment": "deployments have no local meaning: the template is what is served",
    "AWS::ApiGatewayV2::Deployment": "deployments have no local meaning: the template is what is served",
    "AWS::ApiGateway::Account": "CloudWatch logging role of the account",
    "AWS::Logs::LogGroup": "logs go to the gateway's access log",
    "AWS::Lambda::Version": "versions and aliases: the local code is what runs",
    "AWS::Lambda::Alias": "versions and aliases: the local code is what runs",
    "AWS::Lambda::EventInvokeConfig": "asynchronous invocation settings",
    "AWS::Lambda::LayerVersion": "layers: put shared code in the function's folder or an installed package",
    "AWS::Cognito::UserPoolDomain": "the hosted UI's domain; the built-in pool is served under /_gatepost/idp",
    "AWS::CDK::Metadata": "CDK's own bookkeeping",
}
DATA_TYPES_PREFIXES = ("AWS::DynamoDB::", "AWS::S3::", "AWS::SQS::", "AWS::SNS::", "AWS::Events::",
                       "AWS::StepFunctions::", "AWS::SSM::", "AWS::SecretsManager::", "AWS::KMS::",
                       "AWS::CloudWatch::", "AWS::Kinesis::", "AWS::EC2::", "AWS::RDS::", "AWS::ECS::",
                       "AWS::ECR::", "AWS::CloudFront::", "AWS::Route53::", "AWS::CertificateManager::",
                       "AWS::WAFv2::", "AWS::AppSync::", "AWS::Scheduler::")


@dataclass(frozen=True)
class Fate:
    logical_id: str
    type: str
    fate: str  # served | ignored | refused
    detail: str

    def line(self) -> str:
        return f"{self.logical_id} ({self.type}): {self.fate}: {self.detail}"


def default_fate(logical_id: str, rtype: str, resource: Mapping[str, Any]) -> Fate:
    if rtype in IGNORED_TYPES:
        return Fate(logical_id, rtype, IGNORED, IGNORED_TYPES[rtype])
    if rtype.startswith(DATA_TYPES_PREFIXES):
        return Fate(logical_id, rtype, IGNORED, "a backing service the functions talk to themselves; not on the "
                                                "gateway's request path")
    if rtype.startswith("AWS::IAM::"):
        return Fate(logical_id, rtype, IGNORED, _iam_detail(resource))
    if rtype in ("AWS::CloudFormation::Stack", "AWS::Serverless::Application"):
        return Fate(logical_id, rtype, REFUSED, "a nested stack is not read: serve its template on its own, and give "
                                                "this one its outputs with --parameter-overrides")
    if rtype.startswith(("AWS::ApiGateway::", "AWS::ApiGatewayV2::")):
        return Fate(logical_id, rtype, REFUSED, "not read by this version of the template import: what it "
                                                "configures is not enforced")
    return Fate(logical_id, rtype, IGNORED, "not on the gateway's request path")


def _iam_detail(resource: Mapping[str, Any]) -> str:
    if "execute-api" in repr(resource.get("Properties")):
        return ("grants execute-api:Invoke, which is not turned into a local principal yet: create the caller "
                "with `gatepost iam ...` and attach an equivalent policy")
    return "an execution role or policy for AWS services the functions call"


def summary(fates: Iterable[Fate]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for fate in fates:
        counts[fate.fate] = counts.get(fate.fate, 0) + 1
    return counts
