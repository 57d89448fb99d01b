# workerd config for the runtime matrix: worker.bundle.js (worker.mjs bundled by esbuild) on 127.0.0.1, port
# chosen by the OS (the test reads it from --control-fd). No nodejs_compat: the plain Workers runtime, so core
# runs on Web Crypto. The outbound network allows loopback, where the test's JWKS issuer listens.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "net", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.bundle.js")],
  compatibilityDate = "2026-01-01",
  bindings = [
    (name = "SECRET", fromEnvironment = "SECRET"),
    (name = "JWKS_URI", fromEnvironment = "JWKS_URI"),
    (name = "AUDIENCE", fromEnvironment = "AUDIENCE"),
    (name = "ISSUER", fromEnvironment = "ISSUER"),
  ],
  globalOutbound = "net",
);
