"""Rules of the dbt project's shape, checked on its manifest so that they cannot quietly come back."""

from tests.conftest import dbt_manifest

GRAIN_TESTS = {"unique", "unique_combination"}


def _models(layer: str) -> dict[str, dict]:
    return {
        node["unique_id"]: node
        for node in dbt_manifest()["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == layer
    }


def test_every_mart_has_a_grain_test():
    tested = {
        node["attached_node"]
        for node in dbt_manifest()["nodes"].values()
        if node["resource_type"] == "test" and node.get("test_metadata", {}).get("name") in GRAIN_TESTS
    }
    marts = _models("marts")
    assert len(marts) >= 14
    assert sorted(name for name in marts if name not in tested) == []
