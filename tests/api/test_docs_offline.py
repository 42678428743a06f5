"""The API docs pages work without internet: every asset they load comes from the API itself."""

from __future__ import annotations

import re

from tests.api.conftest import Stack

ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


async def test_docs_and_redoc_load_only_assets_the_api_serves(api_only: Stack) -> None:
    async with api_only.http() as http:
        for page in ("/docs", "/redoc"):
            response = await http.get(page)
            assert response.status_code == 200, response.text
            urls = [u for u in ASSET.findall(response.text) if not u.startswith("data:")]
            assert urls, page
            for url in urls:
                assert url.startswith("/"), f"{page} loads {url} from elsewhere"
                asset = await http.get(url)
                assert asset.status_code == 200, url
                assert len(asset.content) > 1000, url
            assert "cdn." not in response.text and "fonts.googleapis" not in response.text
