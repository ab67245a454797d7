"""Live: a teacher's class follows their run on its own devices, and predicts each step.

``/Live`` starts a room (or joins one by its code); ``/Live?room=XXXXXX`` follows it. The
page keeps its own address (the room), not a run's: the teacher's run lives on the pages
they teach on, and is published from there (ui.session.publish_live).
"""

import streamlit as st

from ui import page, room_view, session

page.setup("Live")
with page.guard():
    st.title("Live class", anchor=False)
    room_view.show_message()
    typed = st.query_params.get("room")
    teaching = session.teaching()
    if typed is not None:
        room_view.follow(typed)
    elif teaching is not None:
        room_view.teacher_room(teaching)
    else:
        room_view.start_page()
