"""A local WAHA (WhatsApp HTTP API) simulator speaking WAHA 2026.7.1's HTTP contract.

Run it with ``python -m simulators.waha --port 3000 --api-key dev-waha-key``; open ``/phone`` to
play the customer's and the business's phone. See ``simulators/waha/README.md``.
"""

from simulators.waha.server import WahaSimServer
from simulators.waha.signing import webhook_hmac, webhook_hmac_valid
from simulators.waha.simulator import Simulator, Timings

__all__ = ["Simulator", "Timings", "WahaSimServer", "webhook_hmac", "webhook_hmac_valid"]
