"""Test-wide setup: no telemetry, no hub access, and every run's state in a temp directory."""

from resources.environment import disable_telemetry

disable_telemetry()
