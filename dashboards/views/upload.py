"""Upload: a site coordinator sends CSV files, sees what would change, and uploads them.

Files are first checked together without recording anything (``preview_batch``): the outcome of
each, its findings as a filterable table, and the rows it would add or correct. Corrections need a
reason. The check is not an upload: pressing Upload then sends every file of the batch, file by
file, through the upload path ``trial load`` takes (``upload_bytes``), so a good file loads and a
rejected one is kept as a rejected upload with its findings, exactly as on the command line. Every
page refreshes because the data version moved. After a load, someone who answers data queries is
offered the queries not closed on the tables just loaded, to answer them citing the upload.
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
    upload_plan,
    verdict,
)
from trial.errors import TrialError
from trial.governance.access import Permission, UploadScope, may
from trial.governance.lock import lock_state
from trial.ingest.result import ALREADY_LOADED
from trial.ingest.upload import domain_order, preview_batch, upload_bytes

PREVIEW_REASON = "(reason to be given before loading)"  # lets a preview plan corrections; rolled back

ui.heading(
    "Upload site files",
    "Choosing files checks them against the data dictionary and what the study already holds; the check records "
    "nothing. Pressing Upload sends them: each file loads whole, or is kept as a rejected upload with its findings.",
)
store = ui.require_store()
settings = data.settings()
me = data.user()
scope = UploadScope.of(me)
locked = lock_state(store)
if locked.locked:
    st.warning(f"{ui.plain(locked.sentence)} Uploads and corrections are refused until a statistician or an administrator "
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
right.caption(f"Up to {settings.upload_limit_bytes / 2**20:.0f} MiB a file · uploading as **{ui.plain(me.user_name)}** for {where}")
uploaded = st.file_uploader("CSV files", type=["csv"], accept_multiple_files=True,
                            key=f"files-{st.session_state.upload_round}")
if uploaded:  # a new batch: the last load's outcome has been read
    st.session_state.pop("upload_outcome", None)
with last_load:
    show_outcome(st.session_state.get("upload_outcome"))
    if st.session_state.get("upload_outcome") and may(me, Permission.ANSWER_QUERY):
        offer_answers(me, st.session_state.upload_outcome)

if not uploaded:
    show_dictionary(scope.domains)
    st.stop()

too_big = [f.name for f in uploaded if f.size > settings.upload_limit_bytes]
if too_big:
    st.error(f"{ui.plain(', '.join(too_big))} above the upload limit of {settings.upload_limit_bytes / 2**20:.0f} MiB: "
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
            status.update(label="The files could not be checked", state="error", expanded=True)  # the reason, in sight
            st.error(ui.plain(exc))
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
        st.markdown(f"{icon} **{ui.plain(result.file_name)}** · {result.domain or 'domain unknown'}  \n{sentence}")
        findings = findings_frame(result)
        if result.status in LOADABLE and result.corrected:
            st.markdown("**Corrections** (the old value stays in the audit trail)")
            st.dataframe(correction_frame(result), hide_index=True, placeholder="", width="stretch",
                         height=min(38 + 35 * len(result.changes), 320))
            if result.changes_not_listed:
                st.caption(f"The first {len(result.changes):,} corrected cells are shown; the other "
                           f"{result.changes_not_listed:,} are made and audited all the same.")
        if not findings.empty:
            show_findings(findings, result.file_name)

to_upload = [r for r in results if r.status != ALREADY_LOADED]
if not to_upload:
    st.info("Nothing to upload: every file chosen is already loaded.")
    st.stop()

reason = ""
if corrections:
    reason = st.text_area("Reason for the corrections", placeholder="e.g. transcription error found at source data verification",
                          help="Kept with every corrected value in the audit trail.")
st.info(upload_plan(to_upload), icon=":material/fact_check:")
go = st.button(f"Upload {len(to_upload)} file(s)", type="primary", disabled=bool(corrections) and not reason.strip(),
               help="Each file is uploaded in its own transaction, in the order subjects → randomization → visits, "
                    "and kept: loaded, or rejected with its findings.")
if not go:
    st.stop()

outcome = []
progress = st.progress(0.0, text="Uploading…")
sent = [(name, content) for (name, content), checked in zip(batch, results, strict=True) if checked.status != ALREADY_LOADED]
for number, (name, content) in enumerate(sent):
    def stage(text: str, _name=name, _number=number):
        progress.progress(_number / len(sent), text=f"{ui.plain(_name)}: {text}")
    try:  # the call `trial load` makes: a rejected file is logged with its findings
        outcome.append(upload_bytes(store, content, name, user=me.user_name, domain=chosen_domain,
                                    reason=reason.strip() or None, progress=stage, scope=scope))
    except TrialError as exc:
        st.error(f"{ui.plain(name)}: {ui.plain(exc)}")
        st.stop()
progress.progress(1.0, text="Done")
st.session_state.upload_outcome = [Loaded.of(r) for r in outcome]
st.session_state.pop("upload_answered", None)  # the queries this load answers are still to be chosen
st.session_state.upload_round += 1
st.session_state.pop("preview_key", None)
st.rerun()
