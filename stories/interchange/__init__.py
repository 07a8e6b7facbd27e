"""Interchange: plain-text stories in (``importing``, read by ``plaintext``) and a story's
full record out (``exporting``), both through the services like any other change."""
