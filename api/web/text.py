"""Every word the web pages show, in Thai and English, and the due-time phrases.

Templates call ``t("key")``; a missing key shows the key itself, so a gap is visible in a
page rather than an error.
"""

from __future__ import annotations

from datetime import timedelta

from api.language import Language

TEXT: dict[str, tuple[str, str]] = {
    "app": ("prflow ระบบงานประชาสัมพันธ์", "prflow PR workflow"),
    "sign_in": ("เข้าสู่ระบบ", "Sign in"),
    "sign_out": ("ออกจากระบบ", "Sign out"),
    "login": ("ชื่อผู้ใช้", "Login"),
    "password": ("รหัสผ่าน", "Password"),
    "switch_language": ("English", "ภาษาไทย"),
    "switch_language_label": ("Switch to English", "เปลี่ยนเป็นภาษาไทย"),
    "nav": ("เมนูหลัก", "Main menu"),
    "inbox": ("งานของฉัน", "My inbox"),
    "overdue_board": ("งานเกินกำหนด", "Overdue board"),
    "processes": ("กระบวนงาน", "Processes"),
    "audit": ("ตรวจสอบบันทึก", "Audit"),
    "hello": ("สวัสดี", "Hello"),
    "no_tasks": ("ไม่มีงานค้าง", "No open tasks"),
    "select": ("เลือก", "Select"),
    "select_all": ("เลือกทั้งหมด", "Select all"),
    "task": ("งาน", "Task"),
    "process": ("กระบวนงาน", "Process"),
    "case": ("เรื่อง", "Case"),
    "role": ("บทบาท", "Role"),
    "status": ("สถานะ", "Status"),
    "due": ("กำหนดเสร็จ", "Due"),
    "actions": ("การดำเนินการ", "Actions"),
    "claim": ("รับงาน", "Claim"),
    "open": ("เปิด", "Open"),
    "bulk_claim": ("รับงานที่เลือก", "Claim selected"),
    "overdue": ("เกินกำหนด", "Overdue"),
    "no_limit": ("ไม่มีกำหนด", "No time limit"),
    "status_ready": ("รอรับงาน", "Ready"),
    "status_claimed": ("รับงานแล้ว", "Claimed"),
    "status_completed": ("เสร็จแล้ว", "Done"),
    "status_cancelled": ("ยกเลิก", "Cancelled"),
    "status_running": ("กำลังดำเนินการ", "Running"),
    "status_suspended": ("พักเรื่องไว้", "Suspended"),
    "status_purged": ("ล้างข้อมูลตามระยะเก็บรักษาแล้ว", "Purged after retention"),
    "start_case": ("เริ่มเรื่องใหม่", "Start a case"),
    "start": ("เริ่มเรื่อง", "Start"),
    "no_startable": ("ไม่มีกระบวนงานที่ท่านเริ่มเรื่องได้", "There is no process you may start"),
    "subject": ("ชื่อเรื่อง", "Subject"),
    "subject_help": (
        "ชื่อที่ใช้เรียกเรื่องนี้ในรายการและเอกสาร",
        "What the case is called in lists and on documents",
    ),
    "manage_case": ("จัดการเรื่อง", "Manage the case"),
    "suspend": ("พักเรื่อง", "Suspend"),
    "resume": ("ดำเนินเรื่องต่อ", "Resume"),
    "cancel_case": ("ยกเลิกเรื่อง", "Cancel the case"),
    "reason_required": ("เหตุผล (บันทึกไว้ในประวัติการตรวจสอบ)", "Reason (kept in the audit log)"),
    "unclaim": ("คืนงาน", "Give back"),
    "reassign": ("มอบหมายให้ผู้อื่น", "Reassign"),
    "reassign_to": ("มอบให้", "To"),
    "assignee": ("ผู้รับผิดชอบ", "Assignee"),
    "manual_says": ("คู่มือกำหนดว่า", "What the manual says"),
    "sent_back": ("งานนี้ถูกส่งกลับให้แก้ไข", "This step was sent back"),
    "sent_back_by": ("ส่งกลับโดย", "Sent back by"),
    "reason": ("เหตุผล", "Reason"),
    "no_reason": ("(ไม่ได้ระบุเหตุผล)", "(no reason given)"),
    "form": ("แบบฟอร์ม", "Form"),
    "decision": ("ผลการพิจารณา", "Decision"),
    "comments": ("หมายเหตุ / เหตุผล / สิ่งที่ต้องแก้ไข", "Notes / reason / what to change"),
    "comments_help": ("ระบุเหตุผลเมื่อส่งกลับแก้ไข", "Give the reason when sending back"),
    "submit": ("บันทึกและส่งงาน", "Save and submit"),
    "history": ("ประวัติของเรื่อง", "Case history"),
    "when": ("เวลา", "When"),
    "who": ("ผู้ดำเนินการ", "Who"),
    "what": ("รายการ", "What"),
    "view_case": ("ดูเรื่อง", "View case"),
    "timeline": ("ลำดับเวลา (เวลาทำการ)", "Timeline (working time)"),
    "step": ("ขั้นตอน", "Step"),
    "ready_at": ("เริ่ม", "Ready"),
    "completed_at": ("เสร็จ", "Done"),
    "waiting": ("รอ (เวลาทำการ)", "Waiting (working)"),
    "working": ("ทำ (เวลาทำการ)", "Working (working)"),
    "verdict": ("ผล", "Verdict"),
    "verdict_on_time": ("ทันเวลา", "On time"),
    "verdict_late": ("ล่าช้า", "Late"),
    "verdict_open": ("กำลังทำ", "Open"),
    "verdict_overdue": ("เกินกำหนด", "Overdue"),
    "verdict_no_limit": ("ไม่มีกำหนด", "No limit"),
    "verdict_cancelled": ("ยกเลิก", "Cancelled"),
    "diagram": ("แผนภาพกระบวนงาน", "Process diagram"),
    "legend_done": ("ทำแล้ว", "Done"),
    "legend_current": ("กำลังทำ", "Current"),
    "legend_overdue": ("เกินกำหนด", "Overdue"),
    "diagram_loading": ("กำลังโหลดแผนภาพ…", "Loading the diagram…"),
    "started": ("เริ่มเรื่อง", "Started"),
    "started_by": ("ผู้เริ่มเรื่อง", "Started by"),
    "on_time_share": ("สัดส่วนงานที่เสร็จทันเวลา", "On-time share"),
    "target": ("เป้าหมาย", "Target"),
    "lateness": ("เกินมาแล้ว", "Late by"),
    "unit": ("หน่วยงาน", "Unit"),
    "nothing_overdue": ("ไม่มีงานเกินกำหนด", "Nothing is overdue"),
    "no_completed": ("ยังไม่มีงานที่เสร็จ", "nothing completed yet"),
    "versions": ("รุ่นที่ติดตั้ง", "Deployed versions"),
    "version": ("รุ่น", "Version"),
    "file": ("ไฟล์", "File"),
    "deployed_at": ("ติดตั้งเมื่อ", "Deployed"),
    "deployed_by": ("ติดตั้งโดย", "By"),
    "running_cases": ("เรื่องที่กำลังทำ", "Running cases"),
    "all_cases": ("เรื่องทั้งหมด", "All cases"),
    "upload": ("ติดตั้งรุ่นใหม่ (ไฟล์ .bpmn)", "Deploy a new version (.bpmn files)"),
    "upload_button": ("ตรวจสอบและติดตั้ง", "Validate and deploy"),
    "problems": ("ปัญหาที่พบ ยังไม่ได้ติดตั้ง", "Problems found; nothing was deployed"),
    "line": ("บรรทัด", "Line"),
    "element": ("องค์ประกอบ", "Element"),
    "message": ("ข้อความ", "Message"),
    "verify_chain": ("ตรวจสอบความต่อเนื่องของบันทึก", "Verify the event chain"),
    "chain_ok": ("บันทึกครบถ้วน ไม่ถูกแก้ไข", "The chain is intact"),
    "chain_broken": ("บันทึกเสียหายที่ลำดับ", "The chain breaks at event"),
    "events_checked": ("จำนวนเหตุการณ์ที่ตรวจ", "Events checked"),
    "download": ("ดาวน์โหลดบันทึก", "Download the log"),
    "flash_claimed": ("รับงานแล้ว", "Task claimed"),
    "flash_started": ("เริ่มเรื่องใหม่แล้ว", "Case started"),
    "flash_suspended": ("พักเรื่องแล้ว", "Case suspended"),
    "flash_resumed": ("ดำเนินเรื่องต่อแล้ว", "Case resumed"),
    "flash_cancelled": ("ยกเลิกเรื่องแล้ว", "Case cancelled"),
    "flash_unclaimed": ("คืนงานเข้ากองกลางแล้ว", "Task given back"),
    "flash_reassigned": ("มอบหมายงานแล้ว", "Task reassigned"),
    "flash_bulk": ("รับงานแล้ว {n} งาน", "{n} tasks claimed"),
    "flash_bulk_refused": ("รับไม่ได้ {n} งาน", "{n} could not be claimed"),
    "flash_none_selected": ("ยังไม่ได้เลือกงาน", "No task was selected"),
    "flash_completed": ("ส่งงานเรียบร้อยแล้ว", "Task submitted"),
    "flash_deployed": ("ติดตั้งแล้ว: {n}", "Deployed: {n}"),
    "flash_unchanged": ("ไม่มีการเปลี่ยนแปลง ไฟล์เหมือนรุ่นล่าสุด", "Unchanged: same as latest"),
    "choose_decision": ("กรุณาเลือกผลการพิจารณา", "Choose a decision"),
    "choose_file": ("กรุณาเลือกไฟล์ .bpmn", "Choose a .bpmn file"),
    "error": ("ทำรายการไม่สำเร็จ", "That did not work"),
    "back_home": ("กลับหน้างานของฉัน", "Back to my inbox"),
    "event_case_started": ("เริ่มเรื่อง", "Case started"),
    "event_case_completed": ("เรื่องเสร็จสิ้น", "Case finished"),
    "event_task_ready": ("งานพร้อมให้ดำเนินการ", "Task ready"),
    "event_task_claimed": ("รับงาน", "Task claimed"),
    "event_task_unclaimed": ("คืนงาน", "Task released"),
    "event_task_reassigned": ("มอบหมายงานใหม่", "Task reassigned"),
    "event_task_completed": ("ส่งงาน", "Task done"),
    "event_task_cancelled": ("ยกเลิกงาน", "Task cancelled"),
    "event_timer_fired": ("ถึงกำหนดเวลา", "Timer fired"),
    "event_due_recomputed": ("คำนวณกำหนดใหม่", "Due time recomputed"),
    "choice_ok": ("ถูกต้อง ครบถ้วน (อนุมัติ)", "Correct and complete (approve)"),
    "choice_fix": ("ส่งกลับแก้ไข", "Send back to fix"),
    "choice_permit": ("อนุญาต", "Permit"),
    "choice_revise": ("ส่งกลับแก้ไข", "Send back to revise"),
    "choice_refuse": ("ไม่อนุญาต", "Refuse"),
    "choice_approve": ("อนุมัติ", "Approve"),
    "choice_reject": ("ไม่อนุมัติ", "Reject"),
    "choice_yes": ("ใช่", "Yes"),
    "choice_no": ("ไม่ใช่", "No"),
}


def translate(lang: Language, key: str, **values: object) -> str:
    pair = TEXT.get(key)
    text = key if pair is None else (pair[0] if lang == "th" else pair[1])
    return text.format(**values) if values else text


def choice_label(lang: Language, value: str) -> str:
    """A gateway value as a person reads it; an unknown value is shown as it is."""
    key = f"choice_{value}"
    return translate(lang, key) if key in TEXT else value


def due_words(lang: Language, left: timedelta, day: timedelta) -> str:
    """``เหลือ 2 ชั่วโมงทำการ`` / ``เกินกำหนด 1 วัน`` from working time left (negative: late)."""
    late = left < timedelta(0)
    span = -left if late else left
    if span >= day:
        count, unit_th, unit_en = int(span / day), "วันทำการ", "working day"
        if late:
            unit_th = "วัน"
            unit_en = "day"
    elif span >= timedelta(hours=1):
        count, unit_th, unit_en = int(span / timedelta(hours=1)), "ชั่วโมงทำการ", "working hour"
    else:
        count = max(1, int(span / timedelta(minutes=1)))
        unit_th, unit_en = "นาทีทำการ", "working minute"
    plural = "" if count == 1 else "s"
    if lang == "th":
        return f"เกินกำหนด {count} {unit_th}" if late else f"เหลือ {count} {unit_th}"
    return f"{count} {unit_en}{plural} overdue" if late else f"{count} {unit_en}{plural} left"


def duration_words(lang: Language, span: timedelta) -> str:
    """A working-time span as hours and minutes: ``3 ชม. 20 นาที`` / ``3 h 20 min``."""
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if lang == "th":
        return f"{hours} ชม. {minutes} นาที" if hours else f"{minutes} นาที"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"
