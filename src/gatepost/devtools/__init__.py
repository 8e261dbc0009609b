"""Development helpers that are not part of the request path: the local OIDC issuer and its signer."""
