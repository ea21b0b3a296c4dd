pytest_plugins = ["keycloak_controller.testing.pytest_plugin"]
