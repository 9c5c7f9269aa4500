"""tests/chaos uses the integration tests' helpers (meridian_testlib, cluster_fixture)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
