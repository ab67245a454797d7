"""Lessons: three guided tours of the training area, one short step at a time."""

from urllib.parse import urlencode

import streamlit as st

from ui import page, session, training
from ui.lessons import LESSONS


def lesson_step() -> None:
    """The chosen lesson's step: where to look, what to do, and the way on (drawn inside the
    training area's fragment: the step's numbers change as the learner steps)."""
    lab = session.lab()
    view = lab.view
    lesson_index = view.lesson or 0
    lesson = LESSONS[lesson_index]
    step_index = min(view.lesson_step, len(lesson.steps) - 1)
    step = lesson.steps[step_index]
    with st.container(border=True, key="lesson-step"):
        with st.container(horizontal=True, vertical_alignment="center"):
            st.markdown(
                f"**Lesson {lesson_index + 1}, step {step_index + 1} of {len(lesson.steps)}: "
                f"{step.title}**"
            )
            st.button(
                "Back",
                key="w.lesson.back",
                disabled=step_index == 0,
                **session.action("open_lesson", lesson_index, step_index - 1),
            )
            st.button(
                "Next",
                key="w.lesson.next",
                type="primary",
                help="The next step (key: N).",
                disabled=step_index == len(lesson.steps) - 1,
                **session.action("open_lesson", lesson_index, step_index + 1),
            )
            base = str(st.context.url or "").split("?")[0]
            if base:
                slide = {"lesson": lesson_index + 1, "step": step_index + 1}
                if lab.classroom:  # the presenter's slide opens on the projector's view
                    slide["classroom"] = 1
                with st.popover("Link", icon=":material/link:", help="This step's own link"):
                    st.caption("Link to this step, for a slide:")
                    st.code(f"{base}?{urlencode(slide)}", language=None, wrap_lines=True)
            training.take_home(popover=True)  # the run as the learner has taken it so far
        st.markdown(step.text.format(**lab.lesson_facts()))
        st.markdown(f":material/arrow_forward: **Now:** {step.task}")


def lesson_controls() -> tuple[str, ...]:
    """The controls the chosen step asks for (ui.lessons.LessonStep.controls)."""
    view = session.lab().view
    lesson = LESSONS[view.lesson or 0]
    return lesson.steps[min(view.lesson_step, len(lesson.steps) - 1)].controls


def body(summary_slot) -> None:
    with st.container(horizontal=True, vertical_alignment="center"):
        st.title("Lessons", anchor=False, width="content")
        chosen = st.segmented_control(
            "Lesson",
            list(range(len(LESSONS))),
            format_func=lambda i: f"{i + 1}. {LESSONS[i].title}",
            default=session.lab().view.lesson,
            key="w.lesson.choice",
            on_change=session.open_chosen_lesson,
            args=("w.lesson.choice",),
            label_visibility="collapsed",
        )
    if chosen is None or session.lab().view.lesson is None:
        st.markdown(
            "Pick a lesson. Each sets the training area below to where the lesson starts and "
            "asks you to act: Step, change the rate, look at a chart."
        )
        for i, lesson in enumerate(LESSONS):
            st.markdown(f"**{i + 1}. {lesson.title}**: {lesson.summary}")
        training.area(summary_slot, page_title="Lessons", title=None)
        return
    training.area(
        summary_slot,
        page_title="Lessons",
        title=None,
        above=lesson_step,
        controls=lesson_controls,
    )


page.run("Lessons", body, summary_in_fragment=True)
