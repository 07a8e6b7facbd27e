"""The public record: each version's hash and the chain between them (integrity), the
site's signed Merkle log (merkle, signing, transparency), the database's refusal to
rewrite any of it (append_only) and who may even ask (privileges), the audit trail's
keyed chain (audit_chain), the one sanctioned rewrite (removal), and the verifier
readers run on their own machines (outside_verifier, which uses nothing of this project).
"""
