"""Request ids: random version-4 UUIDs as text (uuid_text.py), one list of them for the server's requests;
a forked worker drops its parent's unused ids."""

from __future__ import annotations

import os

from gatepost.uuid_text import UuidText

RequestIds = UuidText

new_request_id = RequestIds()
os.register_at_fork(after_in_child=new_request_id.reset)
