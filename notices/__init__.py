"""Privacy policy, notice at collection and the other notices (§7010–§7016). Filled by the notices issue; may import requests_app, never the reverse."""
