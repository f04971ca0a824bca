from apps.core.checks import visibility_timeout_covers_tasks


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
