"""IAM policy documents: parse, evaluate (Allow / explicit Deny / implicit deny), ARN globbing, conditions."""

from gatepost.policy.evaluate import Effect, PolicyDocument, PolicyError, Statement, evaluate

__all__ = ["Effect", "PolicyDocument", "PolicyError", "Statement", "evaluate"]
