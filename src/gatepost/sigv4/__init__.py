"""AWS Signature Version 4: canonical request, signing keys, verification of incoming requests."""

from gatepost.sigv4.canonical import canonical_request, string_to_sign
from gatepost.sigv4.verifier import Credential, SigV4Verifier, VerifiedCaller

__all__ = ["Credential", "SigV4Verifier", "VerifiedCaller", "canonical_request", "string_to_sign"]
