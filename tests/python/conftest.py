"""conftest: where the package, the models and ../shared are for the Python tests, and their skip for absent data (a failure under FK_REQUIRE_DATA=1)."""

import os
import sys

import pytest

SRC = os.environ.get("FK_TEST_SRC") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# this tree's packages, not whatever an installed copy would give
sys.path[:0] = [os.path.join(SRC, "python"), os.path.join(SRC, "python", "face_recognition_compat")]

import facekit  # noqa: E402  (after the path above)


def skip_data(what):
    """A visible skip for absent data; a failure under FK_REQUIRE_DATA=1 (CI has the data)."""
    req = os.environ.get("FK_REQUIRE_DATA", "")
    if req and req != "0":
        pytest.fail("%s (FK_REQUIRE_DATA=%s: a data test may not skip)" % (what, req))
    pytest.skip("data: " + what)


def _env_dir(var, default_var, fallback):
    return os.environ.get(var) or os.environ.get(default_var) or fallback


def models_dir():
    return _env_dir("FACEKIT_MODELS", "FK_TEST_MODELS_DEFAULT", os.path.join(SRC, "models", "face-api"))


def shared_dir():
    return _env_dir("FACEKIT_SHARED", "FK_TEST_SHARED_DEFAULT", os.path.join(SRC, "..", "shared"))


@pytest.fixture(scope="session")
def faceapi_dir():
    d = models_dir()
    if not os.path.isfile(os.path.join(d, "face_recognition_model.bin")) or \
            not os.path.isfile(os.path.join(d, "demo", "sample1.jpg")):
        skip_data("face-api models not fetched in %s (make models)" % d)
    return d


@pytest.fixture(scope="session")
def demo(faceapi_dir):
    """The six demo photos, sample1..6.jpg."""
    return [os.path.join(faceapi_dir, "demo", "sample%d.jpg" % k) for k in range(1, 7)]


@pytest.fixture(scope="session")
def fr_images():
    """face_recognition's own test images in ../shared/peers."""
    d = os.path.join(shared_dir(), "peers", "face_recognition", "tests", "test_images")
    if not os.path.isfile(os.path.join(d, "obama.jpg")):
        skip_data("%s absent (../shared)" % d)
    return d


_loaded = {}


def need_models(names, dir=None):
    """facekit.Models(names), loaded once per test run; skips for a model whose files are absent."""
    key = (names, dir)
    if key not in _loaded:
        try:
            _loaded[key] = facekit.Models(names, dir=dir)
        except facekit.NotFoundError as e:
            _loaded[key] = e
    m = _loaded[key]
    if isinstance(m, facekit.NotFoundError):
        skip_data("model files of %s absent: %s" % (names, m))
    return m


@pytest.fixture(scope="session")
def faceapi(faceapi_dir):
    """The face-api models and a session over them."""
    m = need_models("ssd,tiny,faceapi68,faceapi-resnet,age-gender", faceapi_dir)
    return facekit.Session(m)
