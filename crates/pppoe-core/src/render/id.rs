//! Bahasa Indonesia, the spec's wording.

use super::lexicon::Lexicon;

/// The Indonesian lexicon (the default).
pub(crate) static ID: Lexicon = Lexicon {
    label_username: "Username",
    label_password: "Password",
    label_profile: "Profile",
    label_ip_address: "IP Address",
    label_customer: "Customer",
    label_customer_info: "Info Pelanggan",
    label_created_at: "Dibuat Pada",
    label_field: "Field",
    label_new_value: "Value Baru",
    label_updated_at: "Update Pada",
    label_reason: "Alasan",
    label_deleted_at: "Dihapus Pada",
    label_restarted_at: "Restart Pada",
    label_active_session: "Sesi Aktif",
    label_status: "Status",
    label_connection: "Koneksi",
    label_next_steps: "Langkah Selanjutnya",
    label_example: "Contoh",
    label_ip: "IP",
    label_created: "Created",
    label_caller_id: "Caller ID",
    label_uptime: "Uptime",
    label_last_seen: "Last Seen",
    label_bandwidth: "Bandwidth",
    label_current_traffic: "Trafik Saat Ini",
    label_available_commands: "Command yang tersedia",
    label_available_profiles: "Profile yang tersedia",

    dynamic: "Dinamis",
    no_static_ip: "dinamis",
    enabled: "Aktif",
    disabled: "Nonaktif",
    connected: "Terhubung",
    disconnected: "Terputus",
    session_dropped: "diputus",
    user_deleted: "user sudah dihapus",
    user_disabled: "user sudah dinonaktifkan",
    kick_failed: |done, username| {
        format!(
            "GAGAL diputus: {done}, tetapi koneksinya masih aktif. Jalankan restartpppoe {username} atau cek router."
        )
    },
    kick_unconfirmed: |done, username| {
        format!(
            "belum pasti diputus: {done}, tetapi router tidak menjawab saat memutus koneksinya. Jalankan restartpppoe {username} untuk memastikan."
        )
    },

    title_added: "USER PPPoE BERHASIL DITAMBAHKAN",
    title_edited: "USER PPPoE BERHASIL DIUPDATE",
    title_delete_confirmation: "KONFIRMASI PENGHAPUSAN",
    title_deleted: "USER PPPoE BERHASIL DIHAPUS",
    title_restarted: "KONEKSI PPPoE BERHASIL DIRESTART",
    title_not_connected: "USER TIDAK TERHUBUNG",
    title_list: "DAFTAR USER PPPoE",
    title_status: "STATUS USER PPPoE",
    title_help_pppoe: "BANTUAN PPPoE",
    title_help_general: "BOT PPPoE",

    delete_question: |name| format!("Anda yakin ingin menghapus user PPPoE \"{name}\"?"),
    resend_with_reason: "Kirim ulang dengan alasan untuk konfirmasi",
    arg_deletion_reason: "alasan_penghapusan",
    example_reason: "Pelanggan pindah lokasi",
    reply_within: |minutes| format!("Untuk menghapus, balas dalam {minutes} menit"),

    not_connected: |username| {
        format!("User \"{username}\" sedang tidak terhubung, tidak ada koneksi untuk direstart.")
    },
    check_status: "Cek status",

    list_none: "Belum ada user PPPoE.",
    list_no_match: |filter| format!("Tidak ada user yang cocok dengan \"{filter}\"."),
    list_page_empty: |page, total, pages| {
        format!("Halaman {page} kosong: ada {total} user dalam {pages} halaman.")
    },
    list_next_page: "Halaman berikutnya",
    list_showing: |first, last, total| format!("Menampilkan {first}-{last} dari {total}"),

    unit_days: " hari",
    unit_hours: " jam",
    unit_minutes: " menit",
    unit_seconds: " detik",

    arg_username: "username",
    arg_password: "password",
    arg_profile: "profile",
    arg_ip: "ip",
    arg_info: "info",
    arg_field: "field",
    arg_value: "value",
    arg_filter: "filter",
    arg_page: "halaman",
    arg_reason: "alasan",
    arg_code: "kode",
    arg_user: "user",
    arg_pass: "pass",

    menu_add: "Tambah user baru",
    menu_edit: "Edit user",
    menu_delete: "Hapus user",
    menu_list: "Lihat daftar user",
    menu_help: "Bantuan PPPoE",
    menu_check: "Cek status user",
    menu_restart: "Restart koneksi",
    menu_edit_user: "Edit user",
    menu_delete_user: "Hapus user",
    menu_restart_user: "Restart koneksi",

    help_intro: "Kelola user PPPoE MikroTik dari WhatsApp.",
    help_add: "Tambah user baru. IP dan info opsional; password minimal 8 karakter.",
    help_edit: "Ubah user. Field: password, profile, ip (- untuk hapus IP statis), status (enable/disable), info.",
    help_delete: "Hapus user. Tanpa alasan, bot meminta konfirmasi.",
    help_list: "Daftar user. Filter: bagian username, nama profile, aktif, nonaktif, online, offline.",
    help_check: "Status user: koneksi, IP, caller-id, uptime, bandwidth.",
    help_restart: "Putus koneksi aktif agar ONU login ulang.",
    help_code_mode: |minutes| {
        format!(
            "Penghapusan dengan alasan dibalas dengan kode; kirim \"ya KODE\" dalam {minutes} menit untuk menghapus."
        )
    },
    example_delete: "delpppoe john123 Pelanggan pindah lokasi",

    steps_added: &[
        "Set username & password di ONU pelanggan",
        "Test koneksi PPPoE",
        "Verifikasi speed sesuai profile",
        "Update status di trouble report jika ada",
    ],
    steps_edit_profile: &[
        "Restart koneksi PPPoE di ONU",
        "Test speed sesuai profile baru",
        "Verifikasi bandwidth sesuai paket",
    ],
    steps_edit_password: &[
        "Ganti password di ONU pelanggan",
        "Restart koneksi PPPoE di ONU",
        "Test koneksi PPPoE",
    ],
    steps_edit_ip: &[
        "Restart koneksi PPPoE agar IP baru dipakai",
        "Verifikasi IP dengan checkpppoe",
    ],
    steps_edit_status: &[
        "Verifikasi status dengan checkpppoe",
        "Update status di trouble report jika ada",
    ],
    steps_edit_info: &["Verifikasi info dengan checkpppoe"],
    steps_deleted: &[
        "Hapus konfigurasi PPPoE di ONU",
        "Pastikan tidak ada koneksi aktif",
        "Update status di trouble report jika ada",
        "Catat alasan penghapusan untuk audit",
    ],
    steps_restarted: &[
        "Tunggu 30-60 detik untuk koneksi stabil",
        "Test koneksi internet",
        "Verifikasi speed sesuai profile",
        "Update status di trouble report jika ada",
    ],
};
