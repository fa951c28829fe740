# Written by hubssh's devhub for a throwaway local hub. Do not edit.
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:8000"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:8081"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:8001"
c.ConfigurableHTTPProxy.command = ["/node_modules/.bin/configurable-http-proxy"]
c.ConfigurableHTTPProxy.pid_file = "/state/proxy.pid"
c.JupyterHub.db_url = "sqlite:////state/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "/state/cookie_secret"
c.JupyterHub.pid_file = "/state/jupyterhub.pid"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "/state/home/{username}"
c.Spawner.cmd = ["/venv/bin/jupyterhub-singleuser"]
c.Spawner.args = ["--allow-root"]
c.Spawner.environment = {"HUBSSH_DEVHUB_DIR":"/state","JUPYTER_CONFIG_DIR":"/state/jupyter-config","SHELL":"/bin/bash"}
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 30
c.JupyterHub.allow_named_servers = True
c.JupyterHub.last_activity_interval = 10
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}
c.JupyterHub.services = [{"name": "devhub-admin", "api_token": "admin-token-for-golden-file"}]
c.JupyterHub.load_roles = [{"name": "devhub-admin", "services": ["devhub-admin"],
    "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"]}]
# extra configuration from the caller
c.Spawner.default_url = "/lab"
