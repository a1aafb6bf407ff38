"""The panel's parts of reproducible packs through a real Jupyter server with auth on: the
difference between two packs (GET diff) for "Compare with…", the license summary on
installed envs, and the `create` job "Rebuild…" submits, on envs built from the local
channel and a pack published to a folder store."""

from __future__ import annotations

from tests.support.channel import TEST_APP, TEST_LIB
from tests.test_rest_api import api, history_db, jp_server_config, write_env_file  # noqa: F401


async def build_two_envs(api, jp_root_dir, conda_channel, tmp_path) -> dict:  # noqa: F811
    """Env `diffa` (python, the test lib 1.0) and `diffb` (python, the test app), `diffb`
    also published to a folder store; both are the configured pack folder and store."""
    folder, store = tmp_path / "conda", (tmp_path / "store").as_uri()
    await api.call(
        "PUT", "config", {"conda_pack_folder": str(folder), "conda_pack_os_prefix": store}
    )
    for name, dependency in (("diffa", f"{TEST_LIB}=1.0"), ("diffb", TEST_APP)):
        env_file = write_env_file(
            jp_root_dir, name, "1.0", channel=conda_channel, dependencies=["python", dependency]
        )
        await api.run("create", environment_file=env_file.name, no_kernel=True)
    published = await api.run("publish", slug="diffb_v1_0")
    return {"folder": folder, "uri": published["result"]["uri"]}


def names(rows: list[dict]) -> set[str]:
    return {row["name"] for row in rows}


async def test_diff_compares_installed_and_published_packs(
    api,  # noqa: F811
    jp_root_dir,
    conda_channel,
    tmp_path,
):
    two_envs = await build_two_envs(api, jp_root_dir, conda_channel, tmp_path)
    _, installed = await api.call("GET", "diff", a="diffa_v1_0", b="diffb_v1_0")
    assert installed["from"].endswith("diffa_v1_0") and installed["to"].endswith("diffb_v1_0")
    assert TEST_APP in names(installed["added"])
    assert "python" not in names(installed["added"] + installed["removed"])
    _, published = await api.call("GET", "diff", a="diffa_v1_0", b="diffb_v1_0", b_published="1")
    assert names(published["added"]) == names(installed["added"])
    assert names(published["changed"]) == names(installed["changed"])
    _, same = await api.call("GET", "diff", a="diffb_v1_0", b="diffb_v1_0", b_published="1")
    assert same["added"] == same["removed"] == same["changed"] == []

    # the license summary the cards show: a packed env has one, an env never packed none
    _, answer = await api.call("GET", "envs")
    licenses = {env["slug"]: env.get("licenses") for env in answer["envs"]}
    assert licenses["diffb_v1_0"] and all("(" in entry for entry in licenses["diffb_v1_0"])
    assert licenses["diffa_v1_0"] is None

    # what the cards' "Rebuild…" submits: from_lock, name and version
    await api.run("create", from_lock="diffa_v1_0", name="diffa", version="1.1")
    await api.run("create", from_lock=two_envs["uri"], name="diffb", version="1.1")
    for slug in ("diffa", "diffb"):
        _, rebuilt = await api.call("GET", "diff", a=f"{slug}_v1_0", b=f"{slug}_v1_1")
        assert rebuilt["added"] == rebuilt["removed"] == rebuilt["changed"] == []


async def test_diff_refuses_bad_queries(api, tmp_path):  # noqa: F811
    await api.call("PUT", "config", {"conda_pack_folder": str(tmp_path / "conda")})
    code, error = await api.error("GET", "diff", a="nosuchenv", b="other")
    assert code == 404 and error["code"] == "not_found" and "nosuchenv" in error["message"]
    code, error = await api.error("GET", "diff", a="nosuchenv")
    assert code == 400 and "b is required" in error["message"]
    code, _ = await api.error("GET", "diff", a="../etc", b="x")
    assert code == 400
    code, error = await api.error("GET", "diff", a="x", b="y", a_published="yes")
    assert code == 400 and "a_published" in error["message"]
