"""Which ENV/ARG names does no-secret-env take for secrets? (No engine needed.)

The rule is Docker's own build check SecretsUsedInArgOrEnv (moby/buildkit, getSecretsRegex:
the words apikey, auth, credential(s), key, password, pword, passwd, secret, token; `public`
allowed), plus the contract's PASSPHRASE, PAT and PASS, read by a name's LAST word: a secret noun
there holds the secret; a modifier after it (TTL, MIN_LENGTH, DISABLED, FILE, PATH, ID...) makes the
name a setting about the secret or a reference to it, unless it only says how the secret is
written down (BASE, B64, VALUE, JSON...) or which copy it is (LIVE, PROD, 2).
"""

from __future__ import annotations

import pytest

from graders.checks.stage2 import env_added, holds_secret, looks_secret, name_words, secret_assignments
from graders.dockerfile import parse_text

HOLDS_A_SECRET = [
    # *_KEY: Stripe, SSH, JWT, Django/Flask, AWS
    "STRIPE_KEY", "STRIPE_SECRET_KEY", "SSH_KEY", "SSH_PRIVATE_KEY", "JWT_SIGNING_KEY", "SECRET_KEY",
    "DJANGO_SECRET_KEY", "AWS_SECRET_ACCESS_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "LICENSE_KEY", "KEY",
    # passphrases, personal access tokens, tokens
    "PASSPHRASE", "GPG_PASSPHRASE", "SSH_KEY_PASSPHRASE", "GITHUB_PAT", "GH_PAT", "AZURE_DEVOPS_PAT",
    "API_TOKEN", "GITHUB_TOKEN", "NPM_TOKEN", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "AWS_SESSION_TOKEN",
    "SENTRY_AUTH_TOKEN", "CODECOV_TOKEN",
    # passwords and the rest of BuildKit's words
    "DB_PASSWORD", "POSTGRES_PASSWORD", "MYSQL_ROOT_PASSWORD", "TWINE_PASSWORD", "UV_INDEX_PRIVATE_PASSWORD",
    "PGPASSWORD", "SMTP_PASS", "DB_PASSWD", "ADMIN_PWORD", "APIKEY", "AUTH", "BASIC_AUTH", "REDISCLI_AUTH",
    "CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS", "AZURE_CLIENT_SECRET", "SECRET",
    # camelCase and one-word compounds
    "dbPassword", "apiKey", "githubToken", "clientSecret", "myAPIKey", "githubPAT", "OAuth2Token", "AUTHTOKEN",
    # trailing words that say how, or which copy of, the secret it holds
    "SECRET_KEY_BASE", "JWT_KEY_B64", "SIGNING_KEY_BASE64", "API_TOKEN_VALUE", "GOOGLE_CREDENTIALS_JSON",
    "TLS_PRIVATE_KEY_PEM", "ADMIN_PASSWORD_HASH", "STRIPE_KEY_LIVE", "API_KEY_PROD", "API_KEY_2", "API_TOKEN_V2",
    "API_KEY2",
]

ABOUT_A_SECRET = [
    # settings about a secret: the last word is what the setting is
    "TOKEN_TTL", "ACCESS_TOKEN_EXPIRE_MINUTES", "PASSWORD_MIN_LENGTH", "PASSWORD_RESET_TIMEOUT", "AUTH_DISABLED",
    "AUTH_ENABLED", "AUTH_MODE", "AUTH_URL", "KEY_ROTATION_DAYS", "API_KEY_HEADER", "TOKEN_URL",
    "AUTH_MODULE_VERSION", "PASSWORD_HASHERS", "PASSWORD_POLICY",
    # switches
    "DISABLE_AUTH", "REQUIRE_PASSWORD", "MYSQL_ALLOW_EMPTY_PASSWORD", "MYSQL_RANDOM_ROOT_PASSWORD",
    # references to a secret: where it is, or which one
    "SECRET_KEY_FILE", "POSTGRES_PASSWORD_FILE", "DB_PASSWORD_FILE", "passwordFile", "SSH_KEY_PATH", "KEY_PATH",
    "SECRETS_DIR", "CREDENTIALS_DIR", "SECRET_NAME", "VAULT_SECRET_PATH", "AWS_ACCESS_KEY_ID", "GPG_KEY_ID",
    # public halves (BuildKit's allow word)
    "PUBLIC_KEY", "JWT_PUBLIC_KEY", "NEXT_PUBLIC_API_KEY", "public_token",
    # no secret word at all: it only appears inside another word
    "TOKENIZERS_PARALLELISM", "AUTHOR", "AUTHORS", "KEYCLOAK_URL", "MONKEY_PATCH", "PASSENGER_APP_ENV",
    "BYPASS_CACHE", "PYTHON_SHA256", "PWD", "PATH", "DATA_DIR", "PIP_NO_CACHE_DIR", "PYTHONUNBUFFERED",
]

# BuildKit's own test of the check (frontend/dockerfile/dockerfile_check_test.go,
# testSecretsUsedInArgOrEnv): the names it flags and the ones it lets pass. The course agrees.
BUILDKIT_FLAGS = ["SECRET_PASSPHRASE", "SUPER_Secret", "password", "secret", "super_duper_secret_token", "auth",
                  "apikey", "git_key"]
BUILDKIT_PASSES = ["sunflower", "PUBLIC_KEY", "public_token", "SECRET_PASSPHRASE_FILE", "password_file",
                   "secret_File", "AUTH_MODULE_VERSION"]


@pytest.mark.parametrize("name", HOLDS_A_SECRET + BUILDKIT_FLAGS)
def test_a_name_whose_last_word_is_the_secret_looks_secret(name):
    assert looks_secret(name), name_words(name)


@pytest.mark.parametrize("name", ABOUT_A_SECRET + BUILDKIT_PASSES)
def test_a_setting_about_a_secret_or_a_reference_to_one_does_not(name):
    assert not looks_secret(name), name_words(name)


@pytest.mark.parametrize("name", ["CACHE_KEY", "SORT_KEY", "GPG_KEY"])
def test_a_key_that_is_no_credential_still_looks_secret_as_in_buildkit(name):
    """Known over-reporting, shared with Docker's check: a name ending in KEY says nothing of
    which key. Such a name with a value in the Dockerfile fails; the official image's own GPG_KEY
    does not, because an ENV inherited unchanged from the base image is the base's."""
    assert looks_secret(name)


@pytest.mark.parametrize(("name", "value", "secret"), [
    pytest.param("API_TOKEN", "changeme", True, id="placeholder-value"),
    pytest.param("NPM_TOKEN", "$NPM_TOKEN", True, id="env-from-build-arg"),
    pytest.param("API_TOKEN", "", False, id="empty"),
    pytest.param("API_TOKEN", None, False, id="arg-without-value"),
    pytest.param("GOOGLE_APPLICATION_CREDENTIALS", "/run/secrets/gcp.json", False, id="path-to-the-secret"),
    pytest.param("SSH_KEY", "/root/.ssh/id_ed25519", False, id="path-to-a-key"),
    pytest.param("API_KEY", "/aGVsbG8", True, id="one-component-is-no-path"),
    pytest.param("TOKEN_TTL", "3600", False, id="setting"),
])
def test_a_value_makes_it_a_secret_unless_it_is_a_path(name, value, secret):
    assert holds_secret(name, value) is secret


DOCKERFILE = """\
ARG GITHUB_TOKEN
ARG PIP_INDEX_PASSWORD=dev-only
FROM python:3.13-slim
ARG SECRETS=/run/secrets
ENV TOKEN_TTL=3600 STRIPE_KEY=sk_test_not_a_real_key SECRET_KEY_FILE=${SECRETS}/secret_key
ENV DB_PASSWORD hunter2-not-real
ENV API_KEY=
ONBUILD ENV DEPLOY_TOKEN=not-a-real-token
ONBUILD ARG GPG_PASSPHRASE=not-a-real-passphrase
ONBUILD ARG PASSWORD
ONBUILD RUN echo API_TOKEN=nothing-here
"""


def test_assignments_with_values_are_found_in_every_form():
    """ENV in both forms, ARG before FROM, ONBUILD ENV/ARG; not an ARG without a default, an empty
    value, a setting, a path expanded from an ARG, or words in a RUN."""
    df = parse_text(DOCKERFILE)
    found = {(i.line, key) for i in df.instructions for key, _ in secret_assignments(i, df.variables_at(i))}
    assert found == {(2, "PIP_INDEX_PASSWORD"), (5, "STRIPE_KEY"), (6, "DB_PASSWORD"), (8, "DEPLOY_TOKEN"),
                     (9, "GPG_PASSPHRASE")}


def test_only_environment_the_build_added_or_changed_counts():
    """The official python:3.13 images set GPG_KEY (a release key's fingerprint): inherited
    unchanged, it is the base's; changed or added, it is the build's."""
    base = ["PATH=/usr/local/bin:/usr/bin", "GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305", "PYTHON_VERSION=3.13.5"]
    image = ["PATH=/venv/bin:/usr/local/bin:/usr/bin", "GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305",
             "PYTHON_VERSION=3.13.5", "API_TOKEN=changeme"]
    assert env_added(image, base, set()) == [("PATH", "/venv/bin:/usr/local/bin:/usr/bin"), ("API_TOKEN", "changeme")]
    assert env_added(["GPG_KEY=other", *image[2:]], base, set())[0] == ("GPG_KEY", "other")
    # Without the base image, only the names the Dockerfile's ENV sets are the build's.
    assert env_added(image, None, {"PATH", "API_TOKEN"}) == [("PATH", "/venv/bin:/usr/local/bin:/usr/bin"),
                                                             ("API_TOKEN", "changeme")]
