"""Every write of the feedback app, one module per thing written (imported from the module itself).

- `nps`: NPS answers and their comments
- `cases`: the critics queue's cases: taking, assigning, resolving, re-surveying, the alert of a new one
- `case_events`: a case's timeline: notes, replies to the buyer and their answers
- `saved_replies`: the store's saved replies
- `escalations`: cases past their response target, told to the owners
- `handoffs`: cases handed to the store's own help desk
"""
