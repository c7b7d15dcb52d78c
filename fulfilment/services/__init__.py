"""The write path of the data systems and their tasks.

* ``data_system_save`` / ``data_system_deactivate``: the business's admins register a system
  and the categories of their data inventory it holds;
  a webhook system's URL gets an outbox endpoint whose signing secret is shown once;
* ``system_tasks_on_verified`` (``settings.PRIVACY_REQUEST_VERIFIED``): a verified request to
  know, delete or correct gives each active system that handles its type a task, in the same
  transaction, and tells the system (a signed webhook) or its assignee (an email) through the
  outbox;
* ``system_task_answer``: done (saying, if it will, which inventory categories it found:
  ``categories_found``, read by the categories answer's checklist), exempt (with its basis),
  nothing found, or for a deletion impossible, once;
* ``system_task_remind`` / ``system_task_reminder_sweep``: reminders to the owner, from a few
  days before a task is due, at most once a local day;
* ``system_tasks_on_closing`` / ``system_tasks_on_closed`` (``settings.PRIVACY_REQUEST_CLOSING``,
  ``PRIVACY_REQUEST_CLOSED``): a request is not closed as complied while a task is open unless
  staff say why; a denial or withdrawal cancels the open tasks.

* ``package_part_attach`` / ``package_part_mark_exempt`` / ``package_preview`` /
  ``response_package_assemble`` / ``response_package_release`` (``.packages``): a request to
  know's response package, from the systems' parts to a released zip (issue 16 items 2, 9).

* ``package_staff_download_log`` / ``package_hand_delivery_record`` (``.hand_delivery``): when
  the consumer has no email address on file, staff take the released zip and deliver it by
  hand, and record how (§7024(f)).

Timeline entries and audit summaries name the request by reference and the system by name,
never the consumer: the subject's identifiers travel only in the webhook to the system.
"""

from .hand_delivery import (
    package_awaits_hand_delivery,
    package_hand_deliveries,
    package_hand_delivery_record,
    package_staff_download_log,
)
from .packages import (
    Attached,
    Preview,
    package_open,
    package_part_attach,
    package_part_mark_exempt,
    package_preview,
    part_records,
    released_package,
    request_parts,
    response_package_assemble,
    response_package_release,
    response_package_release_later,
)
from .reminders import SweepResult, system_task_remind, system_task_reminder_sweep
from .system_tasks import (
    CANCELLED_EVENT,
    TASK_EVENT,
    delete_impossibilities,
    subject_identifiers,
    system_task_answer,
    system_task_for_update,
    system_task_payload,
    system_tasks_on_closed,
    system_tasks_on_closing,
    system_tasks_on_verified,
)
from .systems import data_system_check, data_system_deactivate, data_system_save

__all__ = [
    "CANCELLED_EVENT",
    "TASK_EVENT",
    "Attached",
    "Preview",
    "SweepResult",
    "data_system_check",
    "data_system_deactivate",
    "data_system_save",
    "delete_impossibilities",
    "package_awaits_hand_delivery",
    "package_hand_deliveries",
    "package_hand_delivery_record",
    "package_open",
    "package_part_attach",
    "package_part_mark_exempt",
    "package_preview",
    "package_staff_download_log",
    "part_records",
    "released_package",
    "request_parts",
    "response_package_assemble",
    "response_package_release",
    "response_package_release_later",
    "subject_identifiers",
    "system_task_answer",
    "system_task_for_update",
    "system_task_payload",
    "system_task_remind",
    "system_task_reminder_sweep",
    "system_tasks_on_closed",
    "system_tasks_on_closing",
    "system_tasks_on_verified",
]
