"""Webhooks: an organization's endpoints, the events queued for them, and their delivery.

``events.enqueue`` is the sync engine's event sink: it only writes delivery rows, so a
slow or failing receiver never touches a sync. ``delivery.deliver_due`` sends what is
due (signed per Standard Webhooks) and schedules retries; the embedded
``worker.WebhookWorker`` runs it in-process, a scale-out job can call it the same way.
"""
