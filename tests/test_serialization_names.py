"""Serialization names: one package per kgen package, release-0.1 names as load-only
aliases, same-named classes in two packages coexist, a true duplicate raises at import."""

import importlib.util
import json
import zipfile

import keras
import numpy as np
import pytest

import kgen
from kgen import serialization
from kgen.models import registry

CURRENT_NAMES = {
    kgen.models.vae.VAE: "kgen.vae>VAE",
    kgen.models.vae.IWAE: "kgen.vae>IWAE",
    kgen.models.vae.IAFPosterior: "kgen.vae>IAFPosterior",
    kgen.models.vae.GaussianPosterior: "kgen.vae>GaussianPosterior",
    kgen.likelihoods.BernoulliLikelihood: "kgen.likelihoods>BernoulliLikelihood",
    kgen.likelihoods.GaussianLikelihood: "kgen.likelihoods>GaussianLikelihood",
    kgen.likelihoods.DiscretizedLogisticLikelihood:
        "kgen.likelihoods>DiscretizedLogisticLikelihood",
    kgen.likelihoods.CategoricalLikelihood: "kgen.likelihoods>CategoricalLikelihood",
    kgen.models.baselines.BernoulliMixture: "kgen.baselines>BernoulliMixture",
    kgen.layers.MADE: "kgen.layers>MADE",
    kgen.layers.MaskedDense: "kgen.layers>MaskedDense",
}
# The classes release 0.1 had (CategoricalLikelihood is new, so it has no old name).
RELEASE_0_1 = [cls for cls in CURRENT_NAMES if cls is not kgen.likelihoods.CategoricalLikelihood]
MOVED_LIKELIHOODS = ("BernoulliLikelihood", "GaussianLikelihood",
                     "DiscretizedLogisticLikelihood")


@pytest.fixture
def forget_probes():
    """Removes the names the test registers, so a rerun in one process starts clean."""
    before = set(keras.saving.get_custom_objects())
    yield
    for key in set(keras.saving.get_custom_objects()) - before:
        del keras.saving.get_custom_objects()[key]


@pytest.mark.parametrize("cls", list(CURRENT_NAMES), ids=lambda c: c.__name__)
def test_every_class_is_registered_under_its_package(cls):
    assert keras.saving.get_registered_name(cls) == CURRENT_NAMES[cls]
    assert keras.saving.get_registered_object(CURRENT_NAMES[cls]) is cls


@pytest.mark.parametrize("module, package", [
    ("kgen.models.vae.vae", "kgen.vae"),
    ("kgen.models.vae.iaf", "kgen.vae"),
    ("kgen.models.baselines.bernoulli_mixture", "kgen.baselines"),
    ("kgen.models.flows.sub.maf", "kgen.flows"),
    ("kgen.layers.made", "kgen.layers"),
    ("kgen.likelihoods.categorical", "kgen.likelihoods"),
    ("kgen.bijectors.masked_autoregressive", "kgen.bijectors"),
    ("kgen.networks.dense", "kgen.networks"),
])
def test_package_of_follows_the_module_rule(module, package):
    assert serialization.package_of(module) == package


@pytest.mark.parametrize("module", ["kgen", "kgen.checks", "kgen.models.base", "mylib.layers"])
def test_package_of_a_module_outside_a_kgen_subpackage_is_a_value_error(module):
    with pytest.raises(ValueError, match="`module`"):
        serialization.package_of(module)


def test_every_release_0_1_name_is_a_load_only_alias_of_the_current_class():
    objects = keras.saving.get_custom_objects()
    assert set(serialization.LEGACY_NAMES) == (
        {f"kgen>{c.__name__}" for c in RELEASE_0_1}
        | {f"kgen.vae>{name}" for name in MOVED_LIKELIHOODS})
    for old, new in serialization.LEGACY_NAMES.items():
        assert objects[old] is objects[new], old
        assert keras.saving.get_registered_name(objects[old]) == new


def test_a_saved_model_holds_only_current_names(tmp_path):
    model = kgen.models.vae.VAE(event_shape=(4, 4, 1), latent_dim=2, posterior=kgen.models.vae
                                .IAFPosterior(2, num_flows=1, hidden_units=(4,)))
    path = str(tmp_path / "m.keras")
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    text = json.dumps(config)
    assert '"kgen.vae>VAE"' in text and '"kgen.vae>IAFPosterior"' in text
    assert '"kgen.likelihoods>BernoulliLikelihood"' in text and "kgen.vae>Bern" not in text
    assert '"kgen>' not in text


def _rename_in_file(path, old, new):
    """Rewrites the registered names in a ``.keras`` file's config, as an older
    version of kgen would have written them."""
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files["config.json"] = files["config.json"].replace(old.encode(), new.encode())
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def test_a_file_naming_the_likelihood_by_its_name_before_the_move_loads(tmp_path):
    model = kgen.models.vae.VAE(event_shape=(4, 4, 1), latent_dim=2, likelihood="logistic",
                                seed=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    _rename_in_file(path, '"kgen.likelihoods>', '"kgen.vae>')
    with zipfile.ZipFile(path) as archive:
        assert '"kgen.vae>DiscretizedLogisticLikelihood"' in archive.read("config.json").decode()
    loaded = keras.models.load_model(path, safe_mode=True)
    assert type(loaded.likelihood) is kgen.likelihoods.DiscretizedLogisticLikelihood
    z = np.random.default_rng(0).normal(size=(3, 2)).astype("float32")
    np.testing.assert_array_equal(loaded.decode(z), model.decode(z))


def _probe(module, factor):
    class Probe(keras.layers.Layer):
        __module__ = module

        def call(self, x):
            return x * factor

    return serialization.register_serializable(Probe)


def test_same_class_name_in_two_kgen_packages_both_round_trip(tmp_path, forget_probes):
    layer_probe = _probe("kgen.layers.probe", 2.0)
    model_probe = _probe("kgen.models.probe_family.layers", 3.0)
    assert keras.saving.get_registered_name(layer_probe) == "kgen.layers>Probe"
    assert keras.saving.get_registered_name(model_probe) == "kgen.probe_family>Probe"
    inputs = keras.Input((2,))
    outputs = model_probe()(layer_probe()(inputs))
    path = str(tmp_path / "probes.keras")
    keras.Model(inputs, outputs).save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert [type(layer) for layer in loaded.layers[1:]] == [layer_probe, model_probe]
    np.testing.assert_array_equal(loaded(np.ones((1, 2), "float32")), [[6.0, 6.0]])


DUPLICATE_MADE = '''
import keras
from kgen.serialization import register_serializable

@register_serializable
class MADE(keras.layers.Layer):
    pass
'''


def test_a_second_class_under_a_taken_name_raises_at_import(tmp_path, forget_probes):
    path = tmp_path / "made_copy.py"
    path.write_text(DUPLICATE_MADE)
    spec = importlib.util.spec_from_file_location("kgen.layers.made_copy", path)
    with pytest.raises(ValueError, match="'kgen.layers>MADE'.*kgen.layers.made.MADE"):
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert keras.saving.get_registered_object("kgen.layers>MADE") is kgen.layers.MADE
    assert keras.saving.get_registered_object("kgen>MADE") is kgen.layers.MADE


def test_a_second_model_under_a_taken_name_raises_and_is_not_registered(forget_probes):
    class VAE(kgen.models.vae.VAE):
        __module__ = "kgen.models.vae.vae_copy"

    with pytest.raises(ValueError, match="'kgen.vae>VAE'"):
        registry.register("vae_copy")(VAE)
    assert "vae_copy" not in registry.available()
    assert keras.saving.get_registered_object("kgen.vae>VAE") is kgen.models.vae.VAE


def test_the_same_class_registered_twice_is_no_error():
    cls = kgen.layers.MADE
    assert serialization.register_serializable(cls) is cls
    assert keras.saving.get_registered_name(cls) == "kgen.layers>MADE"


def test_a_class_outside_kgen_needs_an_explicit_package(forget_probes):
    class Outside(keras.layers.Layer):
        __module__ = "mylib.layers"

    with pytest.raises(ValueError, match="`package`"):
        serialization.register_serializable(Outside)
    serialization.register_serializable(package="mylib")(Outside)
    assert keras.saving.get_registered_name(Outside) == "mylib>Outside"
