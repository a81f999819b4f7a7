"""Local APNs / FCM provider simulator (dev and test only, never deployed).

Use :func:`start_simulator` from Python, or ``python -m pushgate_local.simulator`` from a shell.
"""

from pushgate_local.simulator.certs import TestCertificates, ensure_test_certificates
from pushgate_local.simulator.runner import RunningSimulator, SimulatorError, find_node, start_simulator

__all__ = [
    "RunningSimulator",
    "SimulatorError",
    "TestCertificates",
    "ensure_test_certificates",
    "find_node",
    "start_simulator",
]
