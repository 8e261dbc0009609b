"""Federation: Cognito identity pools (tokens -> temporary SigV4 credentials for IAM routes)."""
