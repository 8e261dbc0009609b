"""The built-in user pool: an embedded identity provider shaped like Amazon Cognito user pools.

Pools are declared under `user_pools:` in the config (idp/config.py) and compiled once (idp/pool.py);
their state (users, signing keys, sessions, lock-outs) lives in the catalog. The gateway serves the
pools under `/_gatepost/idp/` (idp/endpoints.py) and the `user_pool` authorizer can name a pool with
`builtin: NAME`, reading its keys in process (idp/key_source.py). Documented in docs/user-pools.md.
"""
