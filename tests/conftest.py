pytest_plugins = ["tests.support.pytest_plugin"]
