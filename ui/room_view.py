"""The live classroom on screen: a teacher's room (its code, QR code, link and questions) and
a follower's read-only view of the teacher's run.

The logic is :mod:`ui.live` (no Streamlit) and the store :mod:`ui.rooms`; what a session
holds (its teaching, its answer token) is :mod:`ui.session`'s. A follower's page polls the
room with a small fragment (Streamlit cannot push to other sessions), one read of the room's
signature a second: when it changes (a new version of the teacher's run, a question opened
or revealed, the student's own answer), the followed view (a fragment of its own) reruns
and draws the new state, made once per version for all the followers a process serves
(:class:`ui.live.Shown`); the page around it reruns only when the room comes or goes. A
store that cannot be reached is said, and polled on.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import streamlit as st

from . import escape, live, page, qr, session, training
from .caches import following, room_store
from .escape import plain
from .rooms import NoSuchRoomError, QuestionView, normalise_code, store_errors

_FOLLOWED = "live.followed"  # the room whose run this follower's page has drawn
_DRAWN = "live.drawn"  # the signature of the room as the followed view shows it
_PAGE_READ = "live.page_read"  # the page's read of the room, for the view in the same run
VIEW_FRAGMENT = "live-followed"  # the followed view's fragment key
_MESSAGE = "live.message"  # what went wrong in the last callback, for the page to say
_CLEAR_COOKIE = "live.clear_cookie"
PAGE_QR_SCALE = 7


def join_address(code: str) -> str:
    """The join link, or its path where the app's address is unknown."""
    base = page.base_url()
    if base is None:
        return f"/{qr.JOIN_PAGE}?{urlencode({'room': code})}"
    return qr.join_link(base, code)


def _cookie_script(name: str, value: str, max_age: int) -> str:
    # A cookie only the page's script can set (Streamlit sets none); it gives the room or
    # the answer token back to this browser after a refresh or on another replica.
    cookie = f"{name}={value}; path=/; max-age={max_age}; SameSite=Lax"
    return f"<script>document.cookie = {json.dumps(cookie)};</script>"


def set_cookie(name: str, value: str) -> None:
    st.html(_cookie_script(name, value, live.COOKIE_DAYS * 86_400), unsafe_allow_javascript=True)


def _say(error: Exception) -> None:
    st.session_state[_MESSAGE] = str(error)


def show_message() -> None:
    message = st.session_state.pop(_MESSAGE, None)
    if message:
        st.error(escape.markdown(message))


# --------------------------------------------------------------------------- teacher


def start() -> None:
    """The "Start a live class" button's callback."""
    try:
        session.start_teaching()
    except store_errors() as error:
        _say(error)


def end() -> None:
    session.stop_teaching()
    st.session_state[_CLEAR_COOKIE] = True


def ask() -> None:
    """The "Ask the class" button's callback: the chosen template about the run as it is."""
    teaching = session.teaching()
    if teaching is None:
        return
    try:
        question, steps = live.ask(session.lab(), st.session_state["w.live.template"])
        room_store().open_question(teaching.code, teaching.secret, question)
    except (ValueError, *store_errors()) as error:
        _say(f"That question cannot be asked now: {error}")
        return
    teaching.asked, teaching.asked_steps = question, steps


def reveal() -> None:
    """Show everyone the answers and the true one; the run takes the step it was about."""
    teaching = session.teaching()
    if teaching is None:
        return
    try:
        room_store().reveal(teaching.code, teaching.secret)
    except store_errors() as error:
        _say(error)
        return
    if teaching.asked_steps:
        session.act("step", teaching.asked_steps)
    teaching.asked_steps = 0
    session.publish_live()


def ask_again() -> None:
    teaching = session.teaching()
    if teaching is not None:
        try:
            room_store().reset_question(teaching.code, teaching.secret)
        except store_errors() as error:
            _say(error)


def teacher_room(teaching: live.Teaching) -> None:
    """The teacher's Live page: how students join, and the questions."""
    set_cookie(live.TEACHER_COOKIE, teaching.cookie())
    st.header(f"Room {teaching.code}", anchor=False)
    base = page.base_url()
    left, right = st.columns([1, 2])
    with left:
        if base is not None:
            st.image(
                qr.join_qr_svg(base, teaching.code, scale=PAGE_QR_SCALE),
                width=260,
                alt=qr.alt_text(base, teaching.code),
            )
    with right:
        st.markdown(
            "Students scan the code or open this link on a phone or laptop. They see your run "
            "as you teach it, on every page you use (Train, Lessons, pins, the left chart), "
            "within about two seconds of each action, and can take it home with **Try it "
            "yourself**."
        )
        st.code(join_address(teaching.code), language=None, wrap_lines=True)
        with st.container(horizontal=True):
            st.page_link("pages/2_Train.py", label="Teach on Train", icon=":material/school:")
            st.page_link("pages/5_Lessons.py", label="Lessons", icon=":material/menu_book:")
            st.button("End the class", key="w.live.end", on_click=end)
    st.subheader("Predict, then reveal", anchor=False)
    questions(teaching)


def questions(teaching: live.Teaching) -> None:
    try:
        view = room_store().teacher_question(teaching.code, teaching.secret)
    except store_errors() as error:
        st.error(escape.markdown(str(error)))
        return
    if view is not None and not view.revealed:
        st.markdown(f"**Asked:** {escape.markdown(view.text)}")
        st.markdown("\n".join(f"- {escape.markdown(option)}" for option in view.options))

        @st.fragment(run_every=live.POLL_SECONDS)
        def count() -> None:
            answers = page.answer_count(teaching)
            st.metric("Answers", "–" if answers is None else answers)
            if answers is None:
                page.room_unreachable(teaching)

        count()
        with st.container(horizontal=True):
            st.button("Reveal", key="w.live.reveal", type="primary", on_click=reveal)
            st.button("Ask again", key="w.live.reset", on_click=ask_again)
        st.caption(
            "The answers stay hidden until you reveal them: then everyone sees how the class "
            "answered and the true answer, and your run takes the step it was about."
        )
        return
    if view is not None:
        revealed(view)
    st.selectbox(
        "Question about the next step",
        list(live.TEMPLATES),
        format_func=live.TEMPLATES.get,
        key="w.live.template",
    )
    st.button("Ask the class", key="w.live.ask", on_click=ask)


def revealed(view) -> None:
    """A revealed question: how the class answered, and what the run did."""
    st.markdown(f"**{escape.markdown(view.text)}**")
    total = sum((view.histogram or {}).values())
    for option, count in (view.histogram or {}).items():
        share = count / total if total else 0.0
        mark = " ✓" if option == view.answer else ""
        st.progress(share, text=f"{plain(option, 60)}{mark}: {count}")
    st.success(escape.markdown(f"The answer: {view.answer}. {view.reveal}"))


def start_page() -> None:
    """No room yet: start one, or join one."""
    if st.session_state.pop(_CLEAR_COOKIE, False):
        st.html(_cookie_script(live.TEACHER_COOKIE, "", 0), unsafe_allow_javascript=True)
    ended = session.room_ended()
    if ended:
        st.warning(f"Room {ended} has ended: it had no action for hours. Start a new one.")
    st.markdown(
        "Start a live class and your students follow your run on their own devices as you "
        "teach, and predict each step before you reveal it."
    )
    st.button("Start a live class", key="w.live.start", type="primary", on_click=start)
    st.divider()
    join_form()


# --------------------------------------------------------------------------- student


def join() -> None:
    st.query_params.from_dict({"room": st.session_state.get("w.live.code", "").strip()})


def join_form() -> None:
    st.markdown("**Join a class**: type the code on the teacher's screen.")
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.text_input("Room code", key="w.live.code", max_chars=16, placeholder="e.g. K7M4QX")
        st.button("Join", key="w.live.join", on_click=join)


def wrong_code(typed: str, why: str) -> None:
    st.error(
        f"There is no live class with the code {escape.markdown(plain(typed, 16))}: {why}. "
        "Check the code on the teacher's screen and type it again."
    )
    join_form()


def submit(code: str, number: int, key: str) -> None:
    option = st.session_state.get(key)
    if option is None:
        _say("Choose an answer first.")
        return
    token, _ = session.student_token()
    try:
        room_store().submit_answer(code, token, number, option)
    except store_errors() as error:
        _say(error)


_UNREACHABLE = "unreachable"  # what a page drew when the store could not be read


def watch(code: str, token: str, drawn: object) -> None:
    """The follower's poll: every second, one read of the room's signature. When it is not
    the one the followed view shows, the view reruns alone (:func:`rerun_view`); when the
    page drew no view (``drawn`` is None: no room; :data:`_UNREACHABLE`: the store could not
    be read), the whole page reruns once the room is back. While the store cannot be
    reached the poll says so, and goes on."""

    @st.fragment(run_every=live.POLL_SECONDS)
    def poll() -> None:
        try:
            if drawn == _UNREACHABLE:
                # The page's own read, not the signature alone: a room whose signature reads
                # but whose state does not (a corrupt record) must not rerun the page forever.
                room_store().read_room(code, token)
                now: object = "readable"
            else:
                now = room_store().read_signature(code, token)
        except NoSuchRoomError:
            now = None
        except store_errors() as error:
            if drawn != _UNREACHABLE:  # the page below says it already otherwise
                st.warning(unreachable_text(error), icon=":material/sync_problem:")
            return
        shown = drawn if drawn is None or drawn == _UNREACHABLE else st.session_state.get(_DRAWN)
        if now == shown:
            return
        if now is None or shown is None or drawn == _UNREACHABLE:
            st.rerun(scope="app")  # the room came or went: the page says so
        rerun_view()

    poll()


def rerun_view() -> None:
    """Stop this run (the poll's) and rerun the followed view alone.

    ``st.rerun`` takes a fragment's key only in a widget's callback (it would stop the run
    it is called from, which is what the poll wants); this is what it does there, from the
    poll's body, as its body-level path does for ``scope="fragment"``. A view's rerun sends
    about half of the page's elements and runs none of the page around it: with a hundred
    followers on a process, each Step's reruns are what delays them (benchmarks/bench_live.py).
    Where the view is not registered (no view drawn), the whole page reruns instead.
    """
    session.rerun_fragment(VIEW_FRAGMENT)


def unreachable_text(error: Exception) -> str:
    return escape.markdown(
        f"The room cannot be reached just now ({plain(str(error), 200)}): retrying every "
        "second. What is shown here is the teacher's run as it was last read."
    )


def follow(typed: str) -> None:
    """A student's page: the teacher's run, read-only, and the open question."""
    # Once per page run: a second call would no longer say that the token is new, and the
    # cookie that keeps it across a refresh would never be set.
    token, new = session.student_token()
    if new:
        set_cookie(live.STUDENT_COOKIE, token)
    followed = st.session_state.get(_FOLLOWED)
    try:
        code = normalise_code(typed)
        read = room_store().read_room(code, token)
    except NoSuchRoomError:
        if followed is not None and followed == _normalised(typed):
            # A room this page showed: ended, or lost by a restarted store until the
            # teacher's page brings it back. The poll goes on, and shows it if it comes back.
            st.warning(
                f"Room {followed} is not live just now: the teacher has ended the class, or "
                "its server lost the room (the teacher's page then brings it back, and it "
                "reappears here by itself)."
            )
            watch(followed, token, None)
            join_form()
            return
        wrong_code(typed, "it has ended, or a character is mistyped")
        return
    except ValueError as error:
        wrong_code(typed, str(error))
        return
    except store_errors() as error:
        st.error(
            escape.markdown(
                f"The room cannot be reached just now ({plain(str(error), 200)}): this page "
                "retries every second and shows the teacher's run as soon as it can."
            )
        )
        watch(code, token, _UNREACHABLE)
        return
    # What is drawn below and the signature the poll compares with come from one read.
    st.session_state[_FOLLOWED] = code
    st.session_state[_DRAWN] = read.signature
    st.session_state[_PAGE_READ] = read
    watch(code, token, read.signature)
    followed_view(code, token)


@st.fragment(key=VIEW_FRAGMENT)
def followed_view(code: str, token: str) -> None:
    """The teacher's run as the room holds it, and the open question: drawn by the page
    from its own read, and rerun alone by the poll when the room's signature changes (or by
    the student's answer), reading the room itself."""
    read = st.session_state.pop(_PAGE_READ, None)
    if read is None:
        try:
            read = room_store().read_room(code, token)
        except (NoSuchRoomError, *store_errors()):
            st.rerun(scope="app")  # the page says what went wrong, and polls on
    st.session_state[_DRAWN] = read.signature
    show_message()  # a message from the answer's callback (the page's own is not rerun)
    shown = following().shown(code, read.state, large=session.lab().classroom)
    st.caption(f"Room {code} · the teacher's run, as it is now (it updates by itself)")
    for notice in shown.notices:
        st.warning(escape.markdown(f"Part of the teacher's run could not be shown: {notice}"))
    with st.container(horizontal=True, key="train-metrics"):
        training.metrics(shown.report)
    getattr(st, shown.banner.level)(shown.banner.text)
    training.followed_charts(shown)
    st.link_button(
        "Try it yourself",
        shown.own_link,
        icon=":material/open_in_new:",
        help="Open this run as your own lab (a link you can keep).",
    )
    student_question(code, read.question)


def _normalised(typed: str) -> str | None:
    try:
        return normalise_code(typed)
    except (ValueError, LookupError):
        return None


def student_question(code: str, view: QuestionView | None) -> None:
    """The open question as this student sees it (read with the state, see :func:`follow`)."""
    if view is None:
        return
    st.subheader("Predict", anchor=False)
    if view.revealed:
        revealed(view)
        if view.your_answer is not None:
            verdict = "right" if view.your_answer == view.answer else f"the answer: {view.answer}"
            st.markdown(escape.markdown(f"Your answer: {view.your_answer} ({verdict})."))
        return
    key = f"w.live.answer.{view.number}"
    st.radio(escape.markdown(view.text), list(view.options), key=key, index=None)
    st.button(
        "Answer",
        key="w.live.submit",
        type="primary",
        on_click=submit,
        args=(code, view.number, key),
    )
    if view.your_answer is not None:
        st.info(
            escape.markdown(
                f"Your answer: {view.your_answer}. The teacher reveals when the class is ready "
                "(you can still change it)."
            )
        )
