from __future__ import annotations

from pathlib import Path

import pyotp

from app.auth.second_factor import enrol, is_enrolled, remove, verify
from ops.store.db import close_store, open_store


async def test_enrol_verify_refuse_replays_and_recovery_codes_work_once(tmp_path: Path) -> None:
    await open_store(tmp_path / 'h.sqlite3')
    try:
        enrolment = await enrol('admin')
        assert enrolment.uri.startswith('otpauth://totp/') and 'admin' in enrolment.uri
        assert len(enrolment.recovery_codes) == 10 and len(set(enrolment.recovery_codes)) == 10
        assert await is_enrolled('admin')

        moment = 1_800_000_000.0
        code = pyotp.TOTP(enrolment.secret).at(moment)
        assert await verify('admin', '000000' if code != '000000' else '111111', now=moment) is None
        assert await verify('admin', code, now=moment) == 'totp'
        assert await verify('admin', code, now=moment) is None  # the same code twice: a replay
        older = pyotp.TOTP(enrolment.secret).at(moment - 30)
        assert await verify('admin', older, now=moment) is None  # an older step: refused too
        later = pyotp.TOTP(enrolment.secret).at(moment + 30)
        assert await verify('admin', later, now=moment + 30) == 'totp'

        recovery = enrolment.recovery_codes[3]
        assert await verify('admin', recovery.upper()) == 'recovery'
        assert await verify('admin', recovery) is None  # used up
        assert await verify('nobody', recovery) is None

        assert await remove('admin')
        assert not await is_enrolled('admin')
        assert await verify('admin', enrolment.recovery_codes[0]) is None
    finally:
        await close_store()
