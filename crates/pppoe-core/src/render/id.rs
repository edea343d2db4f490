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

    delete_question: |name| format!("Anda yakin ingin menghapus user PPPoE \"{name}\"?"),
    resend_with_reason: "Kirim ulang dengan alasan untuk konfirmasi",
    arg_deletion_reason: "alasan_penghapusan",
    example_reason: "Pelanggan pindah lokasi",
    reply_within: |minutes| format!("Untuk menghapus, balas dalam {minutes} menit"),

    not_connected: |username| {
        format!("User \"{username}\" sedang tidak terhubung, tidak ada koneksi untuk direstart.")
    },
    check_status: "Cek status",

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
