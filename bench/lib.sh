# Shared by the bench scripts (sourced, not run): a free loopback port and
# nginx as the target, one worker process, configured and started in a
# scratch directory.
#   free_port
#   start_nginx WORK PORT [TLS_PORT]   serves "ok\n" on / and a small JSON
#                                      document on /json; TLS_PORT with a
#                                      self-signed certificate made in WORK;
#                                      with ARRIVAL_LOG=1, WORK/access.log
#                                      gets each request's arrival ($msec)
#   stop_nginx WORK
#   artillery_ready                    installs Artillery (pinned in
#                                      bench/artillery) if needed, sets
#                                      $artillery and $artillery_app; one
#                                      worker thread

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_nginx() {
  local work=$1 port=$2 tls_port=${3:-} tls="" log="access_log off;"
  [[ ${ARRIVAL_LOG:-} == 1 ]] && log="log_format arrival '\$msec'; access_log $work/access.log arrival;"
  if [[ -n $tls_port ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
      -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
    tls="server {
    listen 127.0.0.1:$tls_port ssl;
    ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
    location / { return 200 \"ok\\n\"; }
  }"
  fi
  cat >"$work/nginx.conf" <<CONF
worker_processes 1;
error_log $work/error.log;
pid $work/nginx.pid;
worker_rlimit_nofile 65536;
events { worker_connections 20000; }
http {
  $log
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work;
  uwsgi_temp_path $work; scgi_temp_path $work;
  server {
    listen 127.0.0.1:$port backlog=8192;
    location / { return 200 "ok\n"; }
    location /json { default_type application/json; return 200 '{"id":42,"name":"widget"}'; }
  }
  $tls
}
CONF
  /usr/sbin/nginx -c "$work/nginx.conf" -p "$work"
  local _
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nginx did not start on 127.0.0.1:$port (see $work/error.log)" >&2
  return 1
}

stop_nginx() {
  kill "$(cat "$1/nginx.pid" 2>/dev/null)" 2>/dev/null || true
}

artillery_ready() {
  # WORKERS=1: one Artillery worker thread, as barrage runs with --cores 1
  # (Artillery's default is one per core minus one).
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 ARTILLERY_DISABLE_TELEMETRY=true WORKERS=1
  artillery_app=$PWD/bench/artillery
  if [[ ! -x $artillery_app/node_modules/.bin/artillery ]]; then
    (cd "$artillery_app" && timeout 1500 npm ci --no-audit --no-fund >/dev/null)
  fi
  artillery=$artillery_app/node_modules/.bin/artillery
}
