# Sourced by .ci/run: Debian's chromium for tests/test_dashboard_browser.py, which drives the
# generated jobs dashboard through Playwright with the system browser (Playwright's own browser
# download is not used); exports REQUIRE_BROWSER=1 so that test fails instead of skipping when
# chromium is missing. Installs only when there is none.

if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
    browser_sudo=""
    [ "$(id -u)" -eq 0 ] || browser_sudo="sudo"
    $browser_sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $browser_sudo apt-get install -y -qq --no-install-recommends \
        chromium >/dev/null
fi
REQUIRE_BROWSER=1
export REQUIRE_BROWSER
echo "browser: $(command -v chromium || echo /usr/bin/chromium)"
