"""Web ACLs in AWS WAF's own JSON format (docs/web-acls.md), evaluated once per request before any authorizer.

config.py (the `web_acls:` config) -> sources.py (get-web-acl / get-ip-set / get-regex-pattern-set files) ->
parse.py (AWS JSON -> frozen statements, every refusal located) -> acl.py (rules in priority order, actions,
labels: rules.py) -> compiled.py (each ACL compiled once into one Python function) -> gate.py (the pipeline's
hook). Statements: statements.py, references.py, rate.py, geo.py,
injection.py; request components: fields.py; text transformations: transforms.py.
"""
