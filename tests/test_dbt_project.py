"""Rules of the dbt project's shape, checked on its manifest so that they cannot quietly come back."""

import duckdb

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


LAYERS = ("staging", "intermediate", "marts")


def test_layers_only_point_down():
    """Only staging reads sources; intermediate reads staging and intermediate; marts read anything below."""
    manifest = dbt_manifest()
    wrong = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        layer = node["fqn"][1]
        for parent in node["depends_on"]["nodes"]:
            if parent.startswith("source.") and layer != "staging":
                wrong.append(f"{node['name']} reads {parent}")
            elif parent.startswith("model."):
                parent_layer = manifest["nodes"][parent]["fqn"][1]
                if LAYERS.index(parent_layer) > LAYERS.index(layer):
                    wrong.append(f"{node['name']} ({layer}) reads {manifest['nodes'][parent]['name']} ({parent_layer})")
    assert {node["fqn"][1] for node in manifest["nodes"].values() if node["resource_type"] == "model"} == set(LAYERS)
    assert wrong == []


def test_every_model_documents_its_grain_and_every_column(pipeline):
    """YAML describes each model (its grain) and lists exactly the columns the demo build has."""
    _, data_dir = pipeline
    undocumented, mismatched = [], []
    with duckdb.connect(str(data_dir / "warehouse" / "build.duckdb"), read_only=True) as build:
        for node in dbt_manifest()["nodes"].values():
            if node["resource_type"] != "model":
                continue
            if not node["description"].strip():
                undocumented.append(node["name"])
            built = [row[0] for row in build.execute(f'describe "{node["schema"]}"."{node["name"]}"').fetchall()]
            if list(node["columns"]) != built:
                mismatched.append(f"{node['name']}: YAML {list(node['columns'])} != built {built}")
    assert undocumented == []
    assert mismatched == []
