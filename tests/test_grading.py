"""The grading run's seams later stages stand on: several builds of one submission (other build
arguments, an edited copy of the context) and several containers by purpose, each made once and
all removed with the session; a check that needs what is missing is `error`, not a crash."""

from __future__ import annotations

import pytest

from graders import engine
from graders.grading import Grading, NotChecked
from graders.workspace import REPO_ROOT, build_context

pytestmark = pytest.mark.docker


@pytest.fixture
def grading(docker_client, base_images):
    with build_context(REPO_ROOT / "solutions" / "stage2", offline=True) as context:
        session = engine.Session(docker_client)
        g = Grading(context, session)
        try:
            yield g
        finally:
            g.close()
        mine = {"label": f"{engine.GRADER_LABEL}={session.id}"}
        assert not docker_client.images.list(filters=mine) and not docker_client.containers.list(all=True, filters=mine)


def test_variant_builds_are_made_once_each_and_share_the_dependency_layer(grading, docker_client):
    """The learner's build, one with a build argument and one of an edited context: three tags,
    each built once (asking again returns the same result); the source-only edit reuses the
    dependency layers below it (the first RootFS layers are shared)."""
    own = grading.build
    with_arg = grading.build_image("commit", build_args={"GIT_COMMIT": "0123abc"})
    assert grading.build_image("commit") is with_arg

    def edit(directory):
        app = directory / "src" / "shortlinks" / "app.py"
        app.write_text(app.read_text() + "\n# a source-only change\n")

    variant = grading.build_image("edited", context_dir=grading.variant_context("edited", edit))
    assert own.ok and with_arg.ok and variant.ok
    layers = {key: docker_client.images.get(result.image_id).attrs["RootFS"]["Layers"]
              for key, result in (("own", own), ("edited", variant))}
    assert layers["own"] != layers["edited"]
    shared = next(i for i, (a, b) in enumerate(zip(layers["own"], layers["edited"])) if a != b)
    assert shared >= 3, "the base image and the apt/user layers come from the cache"
    labelled = docker_client.images.list(filters={"label": f"{engine.GRADER_LABEL}={grading.session.id}"})
    # (solution 2 declares no GIT_COMMIT argument, so that build is the same image as the learner's)
    assert {tag for image in labelled for tag in image.tags} == {grading.session.image_tag(key)
                                                                 for key in ("build", "commit", "edited")}


def test_containers_by_purpose_start_side_by_side_and_once(grading):
    """`start` runs the serve and hardened containers at once; each purpose is one container."""
    grading.start("serve", "hardened")
    serve, hardened = grading.container("serve"), grading.container("hardened")
    assert serve.answer.ok and hardened.answer.ok
    assert grading.container("serve") is serve
    assert serve.container.id != hardened.container.id
    assert hardened.container.attrs["HostConfig"]["ReadonlyRootfs"] is True


def test_what_a_check_needs_but_cannot_have_is_not_checked(docker_client, base_images, tmp_path):
    """A Dockerfile whose image does not build: asking for the image or a running container
    raises NotChecked with the reason (the runner reports it as `error`)."""
    (tmp_path / "Dockerfile").write_text("FROM python:3.13-slim\nRUN exit 3\n")
    with build_context(tmp_path, offline=True) as context:
        g = Grading(context, engine.Session(docker_client))
        try:
            assert not g.build.ok
            with pytest.raises(NotChecked, match="did not build"):
                g.image  # noqa: B018
            with pytest.raises(NotChecked, match="did not build"):
                g.running()
        finally:
            g.close()
