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
    label_correct_example: "Contoh yang benar",
    label_format: "Format",
    label_incident: "Insiden",
    label_router_message: "Pesan router",

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
    title_too_long: "Pesan terlalu panjang",
    title_wrong_format: "Format perintah salah",
    title_unknown_field: "Field tidak dikenal",
    title_bad_page: "Halaman tidak valid",
    title_bad_username: "Username tidak valid",
    title_bad_password: "Password tidak valid",
    title_bad_profile: "Profile tidak valid",
    title_bad_ip: "IP Address tidak valid",
    title_bad_status: "Status tidak valid",
    title_info_too_long: "Info pelanggan terlalu panjang",
    title_ip_conflict: "IP Address Conflict",
    title_not_found: "User PPPoE tidak ditemukan",
    title_already_exists: "Username sudah dipakai",
    title_bad_code: "Kode konfirmasi tidak valid",
    title_router_refused: "Router menolak perintah",
    title_router_profile_missing: "Profile tidak ada di router",
    title_internal_error: "Terjadi gangguan",
    title_unknown_result: "HASIL BELUM PASTI",
    title_router_login_refused: "Router menolak login bot",
    title_router_certificate: "Sertifikat router tidak sesuai",
    title_router_busy: "Router sedang sibuk",
    title_denied: "Akses ditolak",
    title_stale: "PERINTAH DILEWATI",
    title_repeated: "SUDAH DIJALANKAN",
    title_interrupted: "PERINTAH TIDAK DIULANG",
    title_rate_limited: "Terlalu banyak perintah",

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

    too_long: |len, max| format!("Pesan berisi {len} karakter, maksimal {max}."),
    missing_argument: |what| format!("{what} belum diisi."),
    unexpected_word: |found| format!("kelebihan kata \"{found}\"."),
    unknown_field: |found| {
        format!(
            "Field \"{found}\" tidak bisa diedit. Field yang bisa diedit: password, profile, ip, status, info."
        )
    },
    bad_page: |found| format!("Halaman \"{found}\" harus angka mulai dari 1."),
    empty_message: "Pesan kosong.",
    unknown_command: |found| format!("Perintah \"{found}\" tidak dikenal."),
    send_help: |help| format!("Kirim {help} untuk daftar perintah."),
    bad_code: |code, minutes| {
        format!(
            "Tidak ada penghapusan yang menunggu kode \"{code}\", atau kodenya sudah kedaluwarsa ({minutes} menit). Kirim ulang delpppoe dengan alasan untuk kode baru."
        )
    },

    username_empty: "Username tidak boleh kosong.",
    username_too_long: |len, max| format!("Username {len} karakter, maksimal {max}."),
    username_bad_char: |found| {
        format!(
            "Username mengandung \"{found}\". Aturan: 1-64 karakter huruf, angka, titik (.), garis bawah (_), @ atau strip (-), tanpa spasi."
        )
    },
    password_too_short: |len, min| {
        format!("Password hanya {len} karakter. Aturan: minimal {min} karakter.")
    },
    password_too_long: |len, max| {
        format!("Password {len} karakter. Aturan: maksimal {max} karakter.")
    },
    password_bad_char: "Password hanya boleh berisi huruf, angka dan simbol ASCII, tanpa spasi.",
    unknown_profile: |found, available| {
        format!("Profile \"{found}\" tidak ada. Profile yang tersedia: {available}.")
    },
    bad_status: |found| {
        format!("Status \"{found}\" tidak dikenal. Gunakan enable/disable (atau aktif/nonaktif).")
    },
    info_too_long: |len, max| format!("Info pelanggan {len} karakter, maksimal {max}."),
    ip_rule: "Aturan: IPv4 unicast tanpa /prefix, bukan alamat network, broadcast, loopback atau multicast.",
    ip_malformed: |text| format!("\"{text}\" bukan alamat IPv4."),
    ip_unspecified: |ip| format!("{ip} adalah alamat kosong (0.x.x.x)."),
    ip_loopback: |ip| format!("{ip} adalah alamat loopback."),
    ip_multicast: |ip| format!("{ip} adalah alamat multicast."),
    ip_broadcast: |ip| format!("{ip} adalah alamat broadcast/reserved."),
    ip_link_local: |ip| format!("{ip} adalah alamat link-local."),
    ip_network: |ip| format!("{ip} adalah alamat network."),
    ip_outside_pools: |ip, pools| format!("{ip} di luar pool yang diizinkan ({pools})."),

    ip_used_by_user: |ip, user| {
        format!("IP {ip} sudah dipakai oleh user \"{user}\". Pilih IP lain.")
    },
    ip_used_by_session: |ip, user| {
        format!("IP {ip} sedang dipakai oleh koneksi aktif \"{user}\". Pilih IP lain.")
    },
    conflict_add_undone: |username| {
        format!(
            "Bentrok ini terlihat setelah user \"{username}\" dibuat, jadi user itu sudah dihapus lagi. Tidak ada perubahan."
        )
    },
    conflict_ip_undone: |username| {
        format!(
            "Bentrok ini terlihat setelah IP diubah, jadi IP lama user \"{username}\" sudah dikembalikan. Tidak ada perubahan."
        )
    },
    conflict_add_stands: |username| {
        format!(
            "User \"{username}\" SUDAH dibuat dengan IP ini dan GAGAL dihapus lagi. Hapus manual: delpppoe {username} IP bentrok"
        )
    },
    conflict_ip_stands: |username, ip| {
        format!(
            "IP user \"{username}\" SUDAH diubah ke {ip} dan GAGAL dikembalikan. Ubah manual: editpppoe {username} ip -"
        )
    },
    ip_not_verified: |ip| {
        format!(
            "IP {ip} belum bisa dicek ulang setelah disimpan (router tidak menjawab): pastikan tidak ada user lain yang memakai IP ini."
        )
    },

    not_found: |username| format!("User \"{username}\" tidak ada di router."),
    already_exists: |username| {
        format!(
            "User \"{username}\" sudah ada di router. Gunakan username lain, atau cek dulu: checkpppoe {username}"
        )
    },
    nothing_changed: "Tidak ada perubahan yang dibuat.",
    router_profile_missing: |profile| {
        format!(
            "Profile \"{profile}\" ada di daftar paket bot tetapi tidak ada di /ppp/profile router. Hubungi admin untuk memperbaiki konfigurasi."
        )
    },
    router_unreachable: "Router tidak dapat dihubungi.",
    not_processed: "Perintah tidak dapat diproses.",
    try_again_later: "Coba lagi beberapa saat lagi; jika berulang, laporkan ke admin.",
    unknown_result: |command| {
        format!(
            "Perintah \"{command}\" sudah dikirim ke router, tetapi router tidak menjawab dan belum bisa dicek ulang. Perubahannya mungkin sudah terjadi, mungkin juga belum."
        )
    },
    unknown_result_advice: |check| format!("Jangan kirim ulang dulu. Cek: {check}"),
    router_login_refused: "Router menolak user/password API yang dipakai bot, jadi perintah tidak dijalankan. Tidak ada perubahan. Beri tahu admin: konfigurasi login router di bot perlu diperbaiki.",
    router_certificate: "Sertifikat TLS router bukan yang ada di konfigurasi bot, jadi bot tidak mengirim perintah. Tidak ada perubahan. Beri tahu admin segera (router diganti, atau koneksi disadap).",
    router_busy: "Terlalu banyak perintah ke router saat ini; perintah Anda belum dikirim. Tidak ada perubahan. Coba lagi sebentar lagi.",
    audit_failed: "Catatan audit gagal disimpan. Laporkan ke admin.",

    denied: |kind| {
        format!("Anda tidak punya izin menjalankan {kind}. Hubungi admin jika Anda membutuhkannya.")
    },
    unknown_sender: "Nomor Anda tidak terdaftar untuk menggunakan bot ini.",
    seconds: |n| format!("{n} detik"),
    minutes: |n| format!("{n} menit"),
    stale: |command, sent_at, age| {
        format!(
            "Pesan \"{command}\" dikirim {sent_at} ({age} lalu) dan baru diterima sekarang. Perintah yang mengubah data tidak dijalankan dari pesan lama."
        )
    },
    stale_advice: "Kirim ulang perintahnya jika masih diperlukan.",
    repeated: |command, time| {
        format!(
            "Perintah \"{command}\" yang sama persis sudah dijalankan pukul {time}. Kiriman ulang ini tidak dijalankan lagi, agar perubahan tidak terjadi dua kali."
        )
    },
    repeated_advice: |word| {
        format!(
            "Jika memang ingin mengulanginya, kirim ulang pesan yang sama dengan tanda ! di depan (!{word} ...)."
        )
    },
    interrupted: |command| {
        format!(
            "Pesan \"{command}\" sudah pernah diproses, tetapi bot berhenti sebelum selesai mencatatnya. Hasilnya belum pasti, jadi perintah tidak dijalankan dua kali."
        )
    },
    interrupted_advice: |check| {
        format!("Cek dulu: {check}, lalu kirim ulang jika masih diperlukan.")
    },
    rate_limited: |per_minute| {
        format!("Maksimal {per_minute} perintah per menit. Tunggu sebentar lalu coba lagi.")
    },

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
