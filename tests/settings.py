"""Settings of the test suite: the project's settings with the throttles off.

Hundreds of requests from one address within a minute would trip the throttles and
make the suite flaky; the throttling tests turn them on with their own rates.
Servers the tests start inherit the environment, so they are unthrottled too unless
a test says otherwise.
"""

import os

for name in ("THROTTLE_ANON", "THROTTLE_USER", "THROTTLE_AUTH", "THROTTLE_API_KEY"):
    os.environ[name] = ""

from project.settings import *  # noqa: E402, F403
