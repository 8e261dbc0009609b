"""IAM principals and credentials: users, roles, access keys, temporary credentials (catalog + snapshot)."""
