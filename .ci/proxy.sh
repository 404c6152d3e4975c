# Sourced by .ci/run: nginx from the distribution's package for tests/test_proxy.py, which runs the
# generated compose proxy's config in front of a real `serve`; exports REQUIRE_NGINX=1 so that
# test fails instead of skipping when nginx is missing. Installs only when there is none.

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    proxy_sudo=""
    [ "$(id -u)" -eq 0 ] || proxy_sudo="sudo"
    $proxy_sudo apt-get update -q >/dev/null
    # nginx-light is enough (core modules only); newer Debian releases ship only `nginx`.
    proxy_package=nginx-light
    apt-cache show nginx-light >/dev/null 2>&1 || proxy_package=nginx
    DEBIAN_FRONTEND=noninteractive $proxy_sudo apt-get install -y -q --no-install-recommends \
        "$proxy_package" >/dev/null
fi
REQUIRE_NGINX=1
export REQUIRE_NGINX
echo "proxy: $(command -v nginx || echo /usr/sbin/nginx)"
