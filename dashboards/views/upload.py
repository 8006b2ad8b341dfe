"""Upload: a site coordinator sends CSV files, sees what would change, and loads them.

Files are first checked together without changing anything (``preview_batch``): the outcome of
each, its findings as a filterable table, and the rows it would add or correct. Corrections need a
reason. Loading then goes file by file through the normal upload path; every page refreshes
because the data version moved. After a load, someone who answers data queries is offered the
queries not closed on the tables just loaded, to answer them citing the upload.
"""

from __future__ import annotations

import streamlit as st

from dashboards import data, ui
from dashboards.upload_parts import (
    GUESS,
    LOADABLE,
    Loaded,
    correction_frame,
    domain_choices,
    findings_frame,
    offer_answers,
    show_dictionary,
    show_findings,
    show_outcome,
    verdict,
)
from trial.access import Permission, UploadScope, may
from trial.errors import TrialError
from trial.ingest import domain_order, preview_batch, upload_bytes
from trial.lock import lock_state

PREVIEW_REASON = "(reason to be given before loading)"  # lets a preview plan corrections; rolled back

ui.heading(
    "Upload site files",
    "Each CSV file is checked against the data dictionary and what the study already holds. "
    "A file loads whole or not at all; nothing is changed until you press Load.",
)
store = ui.require_store()
settings = data.settings()
me = data.user()
scope = UploadScope.of(me)
locked = lock_state(store)
if locked.locked:
    st.warning(f"{locked.sentence} Uploads and corrections are refused until a statistician or an administrator "
               "unlocks it.", icon=":material/lock:")
    st.stop()

if "upload_round" not in st.session_state:
    st.session_state.upload_round = 0  # a new round empties the file picker after a load
last_load = st.container()  # the outcome of the last load, until other files are chosen

left, right = st.columns([2, 1], vertical_alignment="bottom")
choices = domain_choices(scope.domains)
domain = left.selectbox("What the files hold", list(choices), format_func=choices.get,
                        help="Leave it on guessing: each file's header names its domain.")
where = "any site" if scope.sites is None else " and ".join(sorted(scope.sites)) or "no site"
right.caption(f"Up to {settings.upload_limit_bytes / 2**20:.0f} MiB a file · loading as **{me.user_name}** for {where}")
uploaded = st.file_uploader("CSV files", type=["csv"], accept_multiple_files=True,
                            key=f"files-{st.session_state.upload_round}")
if uploaded:  # a new batch: the last load's outcome has been read
    st.session_state.pop("upload_outcome", None)
with last_load:
    show_outcome(st.session_state.get("upload_outcome"))
    if st.session_state.get("upload_outcome") and may(me, Permission.ANSWER_QUERY):
        offer_answers(me, st.session_state.upload_outcome)

if not uploaded:
    show_dictionary()
    st.stop()

too_big = [f.name for f in uploaded if f.size > settings.upload_limit_bytes]
if too_big:
    st.error(f"{', '.join(too_big)} above the upload limit of {settings.upload_limit_bytes / 2**20:.0f} MiB: "
             "split such a file into smaller ones.")
    st.stop()

batch = sorted(((f.name, f.getvalue()) for f in uploaded), key=lambda f: domain_order(f[1].split(b"\n", 1)[0]))
chosen_domain = None if domain == GUESS else domain
key = (tuple((name, hash(content)) for name, content in batch), chosen_domain, data.version())
if st.session_state.get("preview_key") != key:
    with st.status(f"Checking {len(batch)} file(s)…", expanded=len(batch) > 1 or sum(len(c) for _, c in batch) > 2**20) as status:
        def say(stage: str):
            status.update(label=f"Checking: {stage}…")
        try:
            results = preview_batch(store, batch, user=me.user_name, domain=chosen_domain, reason=PREVIEW_REASON,
                                    progress=say, scope=scope)
        except TrialError as exc:
            status.update(label="The files could not be checked", state="error")
            st.error(str(exc))
            st.stop()
        status.update(label=f"Checked {len(batch)} file(s)", state="complete", expanded=False)
    st.session_state.preview_key, st.session_state.preview = key, results
results = st.session_state.preview

loadable = [r for r in results if r.status in LOADABLE]
corrections = sum(r.corrected for r in loadable)
summary = st.columns(4)
summary[0].metric("Files", len(results))
summary[1].metric("Ready to load", len(loadable))
summary[2].metric("Rejected", sum(r.status == "rejected" for r in results))
summary[3].metric("Corrections", corrections)

for result in results:
    with st.container(border=True):
        icon, sentence = verdict(result)
        st.markdown(f"{icon} **{result.file_name}** · {result.domain or 'domain unknown'}  \n{sentence}")
        findings = findings_frame(result)
        if result.status in LOADABLE and result.corrected:
            st.markdown("**Corrections** (the old value stays in the audit trail)")
            st.dataframe(correction_frame(result), hide_index=True, width="stretch",
                         height=min(38 + 35 * len(result.changes), 320))
            if result.changes_not_listed:
                st.caption(f"The first {len(result.changes):,} corrected cells are shown; the other "
                           f"{result.changes_not_listed:,} are made and audited all the same.")
        if not findings.empty:
            show_findings(findings, result.file_name)

if not loadable:
    st.info("Nothing to load: fix the lines above and choose the corrected files again.")
    st.stop()

reason = ""
if corrections:
    reason = st.text_area("Reason for the corrections", placeholder="e.g. transcription error found at source data verification",
                          help="Kept with every corrected value in the audit trail.")
rejected_first = [r.file_name for r in results if r.status == "rejected"]
if rejected_first:
    st.warning(f"{len(rejected_first)} file(s) will not load: {', '.join(rejected_first)}. The others can load now.")
go = st.button(f"Load {len(loadable)} file(s)", type="primary", disabled=bool(corrections) and not reason.strip(),
               help="Each file loads in its own transaction, in the order subjects → randomization → visits.")
if not go:
    st.stop()

outcome = []
progress = st.progress(0.0, text="Loading…")
contents = dict(batch)
for number, planned in enumerate(loadable):
    def stage(text: str, _name=planned.file_name, _number=number):
        progress.progress(_number / len(loadable), text=f"{_name}: {text}")
    try:
        outcome.append(upload_bytes(store, contents[planned.file_name], planned.file_name, user=me.user_name,
                                    domain=chosen_domain, reason=reason.strip() or None, progress=stage, scope=scope))
    except TrialError as exc:
        st.error(f"{planned.file_name}: {exc}")
        st.stop()
progress.progress(1.0, text="Done")
st.session_state.upload_outcome = [Loaded.of(r) for r in outcome]
st.session_state.pop("upload_answered", None)  # the queries this load answers are still to be chosen
st.session_state.upload_round += 1
st.session_state.pop("preview_key", None)
st.rerun()
