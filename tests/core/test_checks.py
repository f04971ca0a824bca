import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.core.checks import refuse_without_secret_key, visibility_timeout_covers_tasks


def test_a_visibility_timeout_shorter_than_a_task_is_refused(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300}
    settings.CELERY_TASK_TIME_LIMIT = 600
    (error,) = visibility_timeout_covers_tasks()
    assert error.id == "afterglow.E001"


def test_a_long_enough_visibility_timeout_passes(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    settings.CELERY_TASK_TIME_LIMIT = 600
    assert visibility_timeout_covers_tasks() == []


def test_the_embedded_broker_has_no_visibility_timeout_to_check(settings):
    settings.CELERY_BROKER_URL = "filesystem://"
    assert visibility_timeout_covers_tasks() == []


# --- SECRET_KEY: required to serve and send, not to run offline commands ------------------------------
ROOT = Path(__file__).resolve().parents[2]


def without_secret_key(*command: str) -> subprocess.CompletedProcess:
    """Run a command the way a fresh checkout would: no SECRET_KEY, no DEBUG, no .env beyond the repo's."""
    keep = ("PATH", "HOME", "DATABASE_URL", "LANG")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_processes_that_sign_links_refuse_to_start_without_a_secret_key(settings):
    settings.DEBUG, settings.SECRET_KEY_SET = False, False
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        refuse_without_secret_key()
    settings.SECRET_KEY_SET = True
    refuse_without_secret_key()  # a key of its own: starts
    settings.DEBUG, settings.SECRET_KEY_SET = True, False
    refuse_without_secret_key()  # development: the built-in key is fine


@pytest.mark.skipif((ROOT / ".env").exists(), reason="a local .env sets SECRET_KEY")
def test_without_a_key_the_web_app_and_a_worker_refuse_but_makemigrations_runs():
    web = without_secret_key(sys.executable, "-c", "import config.wsgi")
    assert web.returncode != 0 and "Set the SECRET_KEY" in web.stderr
    worker = without_secret_key(sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo")
    assert worker.returncode != 0 and "Set the SECRET_KEY" in worker.stderr
    migrations = without_secret_key(sys.executable, "manage.py", "makemigrations", "--check", "--dry-run")
    assert migrations.returncode == 0, migrations.stderr


def test_links_follow_the_port_make_run_serves_when_no_site_url_is_set():
    code = "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true", "PORT": "9000", "SITE_URL": ""}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "http://127.0.0.1:9000"
    env["SITE_URL"] = "https://track.example.com/"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "https://track.example.com"


def test_deploy_check_warns_when_email_links_would_point_at_this_machine(settings):
    from apps.core.checks import site_url_is_public

    settings.SITE_URL = "http://127.0.0.1:8000"
    assert [w.id for w in site_url_is_public()] == ["afterglow.W003"]
    settings.SITE_URL = "https://track.example.com"
    assert site_url_is_public() == []


def test_deploy_check_warns_while_buyers_answers_to_the_desk_would_be_lost(settings):
    from apps.core.checks import case_replies_can_come_back

    settings.CASE_REPLY_DOMAIN = "reply.afterglow.localhost"
    assert [w.id for w in case_replies_can_come_back()] == ["afterglow.W005"]
    settings.CASE_REPLY_DOMAIN = "reply.shop.example.com"
    assert case_replies_can_come_back() == []
