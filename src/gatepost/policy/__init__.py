"""IAM policy documents: parse, evaluate (Allow / explicit Deny / implicit deny), ARN globbing, conditions."""
