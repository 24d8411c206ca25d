#!/usr/bin/env bash
# Build, test, tag and push the shortlinks image: what CI runs on every push (stage 3 solution).
#
#   IMAGE=shortlinks REGISTRY=ghcr.io/acme ./build.sh
#
# - Strict mode: any failing command (also inside a pipeline) or unset variable stops the script,
#   so a failed build or test never reaches the push.
# - The tests run first, in the image's own `test` stage (Dockerfile), against the installed app.
# - Tags: the commit (so an image names its code), the branch, sanitised into a valid tag
#   (`feature/x` -> `feature-x`), and `latest` only from the default branch, pointing at the same
#   image as the commit tag: a feature branch never moves what `latest` users get.
# - OCI labels (org.opencontainers.image.*) say which revision, source, version and build time.
set -euo pipefail

: "${IMAGE:?set IMAGE to the image name, e.g. IMAGE=shortlinks}"
: "${REGISTRY:?set REGISTRY to the registry to push to, e.g. REGISTRY=ghcr.io/acme}"
DEFAULT_BRANCH="${DEFAULT_BRANCH:-main}"

commit="$(git rev-parse HEAD)"
short="$(git rev-parse --short=12 HEAD)"
branch="${GITHUB_HEAD_REF:-${GITHUB_REF_NAME:-$(git rev-parse --abbrev-ref HEAD)}}"
# A Docker tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}: replace anything else, trim, cap the length.
branch_tag="$(printf '%s' "$branch" | tr -c 'A-Za-z0-9_.-' '-' | sed -e 's/^[.-]*//' | cut -c1-128)"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml)"
source_url="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-course/shortlinks}"
created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
repository="$REGISTRY/$IMAGE"

echo "==> testing $short (branch $branch)"
docker buildx build --target test --build-context tests=tests --tag "$repository:test-$short" .

echo "==> building $repository:$short"
docker buildx build \
    --build-arg GIT_COMMIT="$commit" \
    --label org.opencontainers.image.revision="$commit" \
    --label org.opencontainers.image.source="$source_url" \
    --label org.opencontainers.image.version="$version" \
    --label org.opencontainers.image.created="$created" \
    --tag "$repository:$short" \
    .

tags=("$short" "$branch_tag")
if [[ "$branch" == "$DEFAULT_BRANCH" ]]; then
    tags+=(latest)
fi
for tag in "${tags[@]}"; do
    if [[ "$tag" != "$short" ]]; then
        docker tag "$repository:$short" "$repository:$tag"
    fi
    docker push --quiet "$repository:$tag"
done
echo "==> pushed $repository: ${tags[*]}"
