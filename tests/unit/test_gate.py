from __future__ import annotations

import pytest

from app.auth.gate import safe_redirect


@pytest.mark.parametrize(
    ('target', 'expected'),
    [
        ('/', '/'),
        ('/runs?state=failed', '/runs?state=failed'),
        ('//evil.example/', '/'),
        ('/\\evil.example', '/'),
        ('https://evil.example/', '/'),
        ('javascript:alert(1)', '/'),
        ('', '/'),
        (None, '/'),
    ],
)
def test_redirect_targets_are_local_paths_only(target: str | None, expected: str) -> None:
    assert safe_redirect(target) == expected
