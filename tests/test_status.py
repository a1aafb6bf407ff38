import json

from conda_pack_ext import __version__
from conda_pack_ext.cli import main


async def test_status_with_token(jp_fetch):
    response = await jp_fetch("conda-pack-ext", "status")
    assert response.code == 200
    body = json.loads(response.body)
    assert body["version"] == __version__
    assert body["builders"][0]["name"] == "rattler"
    assert body["conda_pack_folder"].endswith("conda")
    assert body["store_uri"].startswith("file://")
    assert body["auth"] == "api_key"


def test_cli_status_json(capsys):
    assert main(["status", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["version"] == __version__
